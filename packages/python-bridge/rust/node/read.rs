//! JS value -> [`Value`], on the JS thread (the RuntimeData mapping of core,
//! JS side). Typed-array memory is lent, not copied, on the main thread;
//! everything else is copied into the `Value`.

use std::ptr::NonNull;
use std::sync::Arc;

use napi::bindgen_prelude::{ClassInstance, FromNapiValue};
use napi::sys;

use super::env::{EnvState, Kind, Ref};
use super::sys::{Js, JsText, NodeError, NodeResult};
use super::{CancelToken, PyRef};
use crate::convert::Ancestors;
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::value::{BigInt, DType, ForeignMemory, Memory, NdArray, Value};

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn fail(reason: impl Into<String>) -> NodeError {
    NodeError::Bridge(BridgeError::conversion(reason))
}

fn at_index(e: NodeError, i: usize) -> NodeError {
    match e {
        NodeError::Bridge(b) => NodeError::Bridge(b.at_index(i)),
        other => other,
    }
}

fn at_key(e: NodeError, key: &str) -> NodeError {
    match e {
        NodeError::Bridge(b) => NodeError::Bridge(b.at_key(key)),
        other => other,
    }
}

/// Names a top-level argument in conversion errors (`args[0].x`).
pub(crate) fn rooted(e: NodeError, root: &str) -> NodeError {
    match e {
        NodeError::Bridge(b) => NodeError::Bridge(b.rooted(root)),
        other => other,
    }
}

/// The JS arrays and objects being read.
type Open = Ancestors<sys::napi_value>;

/// Reads any JS value.
pub(crate) fn value(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<Value> {
    read(js, state, v, &mut Open::default())
}

/// Reads a JS array into its items (each a root: depth counts from there).
pub(crate) fn list(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<Vec<Value>> {
    if !js.is_array(v)? {
        return Err(fail("expected an array"));
    }
    elements(js, state, v, &mut Open::default())
}

/// Reads a plain object into entries; `null` / `undefined` give `None`.
pub(crate) fn entries(
    js: Js,
    state: &EnvState,
    v: sys::napi_value,
) -> NodeResult<Option<Vec<(String, Value)>>> {
    match js.type_of(v)? {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        sys::ValueType::napi_object if !js.is_array(v)? => {
            Ok(Some(fields(js, state, v, &mut Open::default())?))
        }
        _ => Err(fail("expected a plain object")),
    }
}

/// The Python object behind a TS `PyObject`, if `v` is one (an error if it
/// was released).
pub(crate) fn py_handle(
    js: Js,
    state: &EnvState,
    v: sys::napi_value,
) -> NodeResult<Option<PyHandle>> {
    if js.type_of(v)? != sys::ValueType::napi_object {
        return Ok(None);
    }
    if !is_any(js, v, &state.registry.py_object)? {
        return Ok(None);
    }
    unwrap_py_ref(js, state, v).map(Some)
}

/// The Python object behind `v`, known to be a TS `PyObject`.
fn unwrap_py_ref(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<PyHandle> {
    let key = state.registry.ref_key.get(js)?;
    let raw = js.get(v, key)?;
    // SAFETY: `raw` is a value of the running callback; `from_napi_value`
    // checks its type tag before unwrapping, so only a real PyRef passes.
    let instance = unsafe { ClassInstance::<PyRef>::from_napi_value(js.raw(), raw) }
        .map_err(|_| fail("a PyObject without its native handle"))?;
    instance.handle().map_err(NodeError::Bridge)
}

/// `null` / `undefined`, or a `PyObject`.
pub(crate) fn optional_handle(
    js: Js,
    state: &EnvState,
    v: sys::napi_value,
) -> NodeResult<Option<PyHandle>> {
    match js.type_of(v)? {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        _ => match py_handle(js, state, v)? {
            Some(handle) => Ok(Some(handle)),
            None => Err(fail("expected a PyObject")),
        },
    }
}

fn is_any(js: Js, v: sys::napi_value, classes: &[Ref]) -> NodeResult<bool> {
    for class in classes {
        if js.instance_of(v, class.get(js)?)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn read(js: Js, state: &EnvState, v: sys::napi_value, open: &mut Open) -> NodeResult<Value> {
    match js.type_of(v)? {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(Value::None),
        sys::ValueType::napi_boolean => Ok(Value::Bool(js.get_bool(v)?)),
        sys::ValueType::napi_number => Ok(number(js.get_number(v)?)),
        sys::ValueType::napi_bigint => Ok(match js.get_bigint(v)? {
            Ok(i) => Value::Int(i),
            Err((negative, words)) => Value::BigInt(BigInt { negative, words }),
        }),
        sys::ValueType::napi_string => Ok(match js.get_string(v)? {
            JsText::Utf8(s) => Value::Str(s),
            JsText::Utf16(u) => Value::Utf16(u),
        }),
        sys::ValueType::napi_object => object(js, state, v, open),
        sys::ValueType::napi_function => Err(fail("a function has no Python counterpart")),
        sys::ValueType::napi_symbol => Err(fail("a symbol has no Python counterpart")),
        _ => Err(fail("an external value has no Python counterpart")),
    }
}

/// A JS number: `int` when it is a safe integer (and not -0), else `float`.
pub(crate) fn number(x: f64) -> Value {
    let is_int =
        x.fract() == 0.0 && x.abs() <= MAX_SAFE_INTEGER && !(x == 0.0 && x.is_sign_negative());
    if is_int {
        Value::Int(x as i64)
    } else {
        Value::Float(x)
    }
}

fn object(js: Js, state: &EnvState, v: sys::napi_value, open: &mut Open) -> NodeResult<Value> {
    if js.is_array(v)? {
        open.enter(v, |a, b| js.strict_equals(*a, *b))?;
        let items = elements(js, state, v, open)?;
        open.leave();
        return Ok(Value::List(items));
    }
    if js.is_typedarray(v)? {
        return typed_array(js, state, v);
    }
    let registry = &state.registry;
    let prototype = js.prototype(v)?;
    let plain = js.type_of(prototype)? == sys::ValueType::napi_null
        || js.strict_equals(prototype, registry.object_prototype.get(js)?)?;
    if plain {
        open.enter(v, |a, b| js.strict_equals(*a, *b))?;
        let entries = fields(js, state, v, open)?;
        open.leave();
        return Ok(Value::Dict(entries));
    }
    // Direct instances of the registered classes: one identity check each.
    for (class_prototype, kind) in &registry.prototypes {
        if js.strict_equals(prototype, class_prototype.get(js)?)? {
            return match kind {
                Kind::PyObject => Ok(Value::Object(unwrap_py_ref(js, state, v)?)),
                Kind::Tensor => tensor(js, state, v),
                Kind::Audio => audio(js, state, v),
                Kind::VideoFrame => video_frame(js, v),
            };
        }
    }
    if let Some(handle) = py_handle(js, state, v)? {
        return Ok(Value::Object(handle));
    }
    if is_any(js, v, &registry.tensor)? {
        return tensor(js, state, v);
    }
    if is_any(js, v, &registry.audio)? {
        return audio(js, state, v);
    }
    if is_any(js, v, &registry.video_frame)? {
        return video_frame(js, v);
    }
    if js.is_arraybuffer(v)? {
        return Ok(Value::Bytes(js.arraybuffer_bytes(v)?.to_vec()));
    }
    if js.is_dataview(v)? {
        return Ok(Value::Bytes(js.dataview_bytes(v)?.to_vec()));
    }
    if let Some(token) = cancel_token(js, v) {
        return Ok(Value::Cancel(token));
    }
    // A second copy of @remotemedia/core (say, its CJS build next to the ESM
    // one) has its own classes: recognise those by name and shape.
    let name = constructor_name(js, v)?;
    match name.as_str() {
        "Tensor" if has_fields(js, v, &[c"data", c"shape", c"dtype"])? => tensor(js, state, v),
        "Audio" if has_fields(js, v, &[c"samples", c"sampleRate", c"channels"])? => {
            audio(js, state, v)
        }
        "VideoFrame" if has_fields(js, v, &[c"data", c"width", c"height", c"format"])? => {
            video_frame(js, v)
        }
        _ => Err(fail(format!(
            "a {name} has no Python counterpart (plain objects, arrays, typed arrays, Tensor, Audio, \
             VideoFrame and PyObject handles cross)"
        ))),
    }
}

fn constructor_name(js: Js, v: sys::napi_value) -> NodeResult<String> {
    let ctor = js.get_named(v, c"constructor")?;
    if js.type_of(ctor)? != sys::ValueType::napi_function {
        return Ok("object".into());
    }
    let name = js.get_named(ctor, c"name")?;
    if js.type_of(name)? != sys::ValueType::napi_string {
        return Ok("object".into());
    }
    js.get_string_lossy(name)
}

fn has_fields(js: Js, v: sys::napi_value, names: &[&std::ffi::CStr]) -> NodeResult<bool> {
    for name in names {
        if js.type_of(js.get_named(v, name)?)? == sys::ValueType::napi_undefined {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A native `CancelToken`'s flag, if `v` is one.
fn cancel_token(js: Js, v: sys::napi_value) -> Option<crate::cancel::CancelFlag> {
    // SAFETY: `v` is a value of the running callback; `from_napi_value`
    // checks the type tag before unwrapping, so only a real CancelToken
    // passes (a failed unwrap leaves no exception pending).
    let token = unsafe { ClassInstance::<CancelToken>::from_napi_value(js.raw(), v) }.ok()?;
    Some(token.flag.clone())
}

/// An array's elements, read below the containers in `open`.
fn elements(
    js: Js,
    state: &EnvState,
    v: sys::napi_value,
    open: &mut Open,
) -> NodeResult<Vec<Value>> {
    let n = js.array_length(v)?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let item = js.element(v, i)?;
        out.push(read(js, state, item, open).map_err(|e| at_index(e, i as usize))?);
    }
    Ok(out)
}

/// A plain object's own enumerable string-keyed entries, read below the
/// containers in `open`.
fn fields(
    js: Js,
    state: &EnvState,
    v: sys::napi_value,
    open: &mut Open,
) -> NodeResult<Vec<(String, Value)>> {
    let keys = js.own_keys(v)?;
    let n = js.array_length(keys)?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let key = js.element(keys, i)?;
        let name = js.get_string_lossy(key)?;
        let item = js.get(v, key)?;
        let value = read(js, state, item, open).map_err(|e| at_key(e, &name))?;
        out.push((name, value));
    }
    Ok(out)
}

fn dtype_of(kind: sys::napi_typedarray_type) -> Option<DType> {
    use sys::TypedarrayType as T;
    Some(match kind {
        T::int8_array => DType::Int8,
        T::uint8_array | T::uint8_clamped_array => DType::Uint8,
        T::int16_array => DType::Int16,
        T::uint16_array => DType::Uint16,
        T::int32_array => DType::Int32,
        T::uint32_array => DType::Uint32,
        T::float32_array => DType::Float32,
        T::float64_array => DType::Float64,
        T::bigint64_array => DType::Int64,
        T::biguint64_array => DType::Uint64,
        _ => return None,
    })
}

/// A typed array's bytes: lent (main thread) or copied (workers).
fn memory(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<(DType, usize, Memory)> {
    let info = js.typedarray_info(v)?;
    let dtype =
        dtype_of(info.kind).ok_or_else(|| fail("this typed array type has no numpy dtype"))?;
    let bytes = info.length * dtype.item_size();
    let memory = match NonNull::new(info.data) {
        Some(data) if state.zero_copy && bytes > 0 => {
            let keep = Arc::new(state.keep_alive(js, info.arraybuffer, info.byte_offset)?);
            // SAFETY: the typed array's bytes live in its ArrayBuffer's
            // backing store, which the strong reference in `keep` pins (V8
            // never moves backing stores); typed arrays are element-aligned.
            // Detaching (transferring) the buffer while Python views it is
            // the caller's error, as with any shared memory.
            let lent = unsafe { ForeignMemory::new(data, bytes, Box::new(keep.clone())) };
            // A view of this memory coming back from Python becomes a view
            // of this very ArrayBuffer again.
            Memory::Foreign(lent.with_origin(keep))
        }
        Some(data) => {
            // SAFETY: Node-API reported `bytes` readable bytes at `data`.
            let slice = unsafe { std::slice::from_raw_parts(data.as_ptr(), bytes) };
            Memory::Foreign(ForeignMemory::copied(slice))
        }
        None => Memory::Foreign(ForeignMemory::copied(&[])),
    };
    Ok((dtype, info.length, memory))
}

fn typed_array(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<Value> {
    let info = js.typedarray_info(v)?;
    if matches!(
        info.kind,
        sys::TypedarrayType::uint8_array | sys::TypedarrayType::uint8_clamped_array
    ) {
        // Uint8Array (and Node's Buffer) is bytes: a value, so copied now.
        let bytes = if info.data.is_null() || info.length == 0 {
            Vec::new()
        } else {
            // SAFETY: Node-API reported `length` readable bytes at `data`.
            unsafe { std::slice::from_raw_parts(info.data, info.length) }.to_vec()
        };
        return Ok(Value::Bytes(bytes));
    }
    // Other typed arrays are one-dimensional ndarrays.
    let (dtype, length, memory) = memory(js, state, v)?;
    Ok(Value::Array(NdArray {
        dtype,
        shape: vec![length],
        memory,
    }))
}

fn field(js: Js, v: sys::napi_value, name: &'static std::ffi::CStr) -> NodeResult<sys::napi_value> {
    js.get_named(v, name)
}

fn positive_u32(js: Js, v: sys::napi_value, name: &'static std::ffi::CStr) -> NodeResult<u32> {
    let label = name.to_str().unwrap_or("field");
    let raw = field(js, v, name)?;
    if js.type_of(raw)? != sys::ValueType::napi_number {
        return Err(at_key(fail("expected a number"), label));
    }
    let x = js.get_number(raw)?;
    if x.fract() != 0.0 || x < 1.0 || x > f64::from(u32::MAX) {
        return Err(at_key(
            fail(format!("expected a positive integer, got {x}")),
            label,
        ));
    }
    Ok(x as u32)
}

fn tensor(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<Value> {
    let data = field(js, v, c"data")?;
    if !js.is_typedarray(data)? {
        return Err(at_key(fail("expected a typed array"), "data"));
    }
    let (dtype, length, memory) = memory(js, state, data).map_err(|e| at_key(e, "data"))?;
    let shape_value = field(js, v, c"shape")?;
    if !js.is_array(shape_value)? {
        return Err(at_key(fail("expected an array of dimensions"), "shape"));
    }
    let mut shape = Vec::new();
    for i in 0..js.array_length(shape_value)? {
        let d = js
            .get_number(js.element(shape_value, i)?)
            .map_err(|e| at_key(at_index(e, i as usize), "shape"))?;
        if d.fract() != 0.0 || d < 0.0 {
            return Err(at_key(
                at_index(fail(format!("not a dimension: {d}")), i as usize),
                "shape",
            ));
        }
        shape.push(d as usize);
    }
    let array = NdArray {
        dtype,
        shape,
        memory,
    };
    array.validate().map_err(fail)?;
    debug_assert_eq!(array.len(), length);
    Ok(Value::Array(array))
}

fn audio(js: Js, state: &EnvState, v: sys::napi_value) -> NodeResult<Value> {
    let samples = field(js, v, c"samples")?;
    let is_f32 = js.is_typedarray(samples)?
        && js.typedarray_info(samples)?.kind == sys::TypedarrayType::float32_array;
    if !is_f32 {
        return Err(at_key(fail("expected a Float32Array"), "samples"));
    }
    let (dtype, length, memory) = memory(js, state, samples).map_err(|e| at_key(e, "samples"))?;
    Ok(Value::Audio {
        samples: NdArray {
            dtype,
            shape: vec![length],
            memory,
        },
        sample_rate: positive_u32(js, v, c"sampleRate")?,
        channels: positive_u32(js, v, c"channels")?,
    })
}

fn video_frame(js: Js, v: sys::napi_value) -> NodeResult<Value> {
    let data = field(js, v, c"data")?;
    let bytes = if js.is_typedarray(data)? {
        let info = js.typedarray_info(data)?;
        let len = info.length * dtype_of(info.kind).map_or(1, DType::item_size);
        if info.data.is_null() || len == 0 {
            Vec::new()
        } else {
            // SAFETY: Node-API reported `len` readable bytes at `data`.
            unsafe { std::slice::from_raw_parts(info.data, len) }.to_vec()
        }
    } else {
        return Err(at_key(fail("expected a Uint8Array"), "data"));
    };
    let format = field(js, v, c"format")?;
    if js.type_of(format)? != sys::ValueType::napi_string {
        return Err(at_key(fail("expected a pixel format name"), "format"));
    }
    Ok(Value::VideoFrame {
        data: bytes,
        width: positive_u32(js, v, c"width")?,
        height: positive_u32(js, v, c"height")?,
        format: js.get_string_lossy(format)?,
    })
}
