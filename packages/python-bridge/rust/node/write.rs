//! [`Value`] -> JS value, on the JS thread (the RuntimeData mapping of core,
//! JS side). Array memory leased from Python becomes an external
//! `ArrayBuffer` whose finalizer sends the lease back to the Python thread.

use napi::bindgen_prelude::ToNapiValue;
use napi::sys;

use super::env::{EnvState, KeepAlive, Ref};
use super::read::MAX_SAFE_INTEGER;
use super::sys::{Js, NodeError, NodeResult};
use super::{CancelToken, PyRef};
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::ops::Outcome;
use crate::value::{DType, Memory, NdArray, Value};

/// The JS value of a finished call.
pub(crate) fn outcome(js: Js, state: &EnvState, outcome: Outcome) -> NodeResult<sys::napi_value> {
    match outcome {
        Outcome::Handle(handle) => py_object(js, state, handle),
        Outcome::Value(v) => value(js, state, v),
        Outcome::Nothing => js.undefined(),
    }
}

/// A TS `PyObject` around a new native `PyRef`.
pub(crate) fn py_object(js: Js, state: &EnvState, handle: PyHandle) -> NodeResult<sys::napi_value> {
    // SAFETY: `js` is the running callback's env; the class is registered in
    // every env that loaded the addon.
    let native = unsafe { PyRef::to_napi_value(js.raw(), PyRef::new(handle)) }
        .map_err(|e| NodeError::Napi("PyRef", e.status as i32))?;
    let class = registered(js, &state.registry.py_object, "PyObject")?;
    js.new_instance(class, &[native])
}

/// The first registered constructor of a class (`init` registers each).
fn registered(js: Js, classes: &[Ref], name: &str) -> NodeResult<sys::napi_value> {
    match classes.first() {
        Some(class) => class.get(js),
        None => Err(NodeError::Bridge(BridgeError::Panic(format!(
            "{name} is not registered: init() did not run in this env"
        )))),
    }
}

/// Builds a JS value.
pub(crate) fn value(js: Js, state: &EnvState, v: Value) -> NodeResult<sys::napi_value> {
    match v {
        Value::None => js.null(),
        Value::Bool(b) => js.boolean(b),
        Value::Int(i) => {
            if i.unsigned_abs() <= MAX_SAFE_INTEGER as u64 {
                js.number(i as f64)
            } else {
                js.bigint_i64(i)
            }
        }
        Value::BigInt(b) => js.bigint_words(b.negative, &b.words),
        Value::Float(x) => js.number(x),
        Value::Str(s) => js.string(&s),
        Value::Utf16(u) => js.string_utf16(&u),
        Value::Bytes(b) => {
            let buffer = bytes_buffer(js, b)?;
            js.typedarray(sys::TypedarrayType::uint8_array, buffer.1, buffer.0)
        }
        Value::List(items) => {
            let array = js.array(items.len())?;
            for (i, item) in items.into_iter().enumerate() {
                let item = value(js, state, item)?;
                js.set_element(array, i as u32, item)?;
            }
            Ok(array)
        }
        Value::Dict(entries) => {
            let object = js.object()?;
            for (key, item) in entries {
                let item = value(js, state, item)?;
                let key_value = js.string(&key)?;
                if key == "__proto__" {
                    js.define(object, key_value, item)?;
                } else {
                    js.set(object, key_value, item)?;
                }
            }
            Ok(object)
        }
        Value::Array(array) => {
            let shape = shape(js, &array.shape)?;
            let data = typed_array(js, state, array)?;
            let class = registered(js, &state.registry.tensor, "Tensor")?;
            js.new_instance(class, &[data, shape])
        }
        Value::Audio {
            samples,
            sample_rate,
            channels,
        } => {
            let data = typed_array(js, state, samples)?;
            let class = registered(js, &state.registry.audio, "Audio")?;
            let rate = js.number(f64::from(sample_rate))?;
            let channels = js.number(f64::from(channels))?;
            js.new_instance(class, &[data, rate, channels])
        }
        Value::VideoFrame {
            data,
            width,
            height,
            format,
        } => {
            let (buffer, len) = bytes_buffer(js, data)?;
            let data = js.typedarray(sys::TypedarrayType::uint8_array, len, buffer)?;
            let class = registered(js, &state.registry.video_frame, "VideoFrame")?;
            let (w, h, f) = (
                js.number(f64::from(width))?,
                js.number(f64::from(height))?,
                js.string(&format)?,
            );
            js.new_instance(class, &[data, w, h, f])
        }
        Value::Object(handle) => py_object(js, state, handle),
        Value::Cancel(flag) => {
            // SAFETY: `js` is the running callback's env; the class is
            // registered in every env that loaded the addon.
            unsafe { CancelToken::to_napi_value(js.raw(), CancelToken { flag }) }
                .map_err(|e| NodeError::Napi("CancelToken", e.status as i32))
        }
    }
}

/// Large byte strings move into an external ArrayBuffer that owns the Vec
/// (no second copy); small ones are copied into a V8 one (cheaper than a
/// finalizer).
fn bytes_buffer(js: Js, bytes: Vec<u8>) -> NodeResult<(sys::napi_value, usize)> {
    const EXTERNAL_FROM: usize = 64 * 1024;
    let len = bytes.len();
    if len >= EXTERNAL_FROM {
        let mut owner = Box::new(bytes);
        let data = owner.as_mut_ptr();
        match js.external_arraybuffer(data, len, owner)? {
            Ok(buffer) => return Ok((buffer, len)),
            Err(owner) => return Ok((js.arraybuffer_copy(&owner)?, len)),
        }
    }
    Ok((js.arraybuffer_copy(&bytes)?, len))
}

fn shape(js: Js, dims: &[usize]) -> NodeResult<sys::napi_value> {
    let array = js.array(dims.len())?;
    for (i, &d) in dims.iter().enumerate() {
        js.set_element(array, i as u32, js.number(d as f64)?)?;
    }
    Ok(array)
}

fn typedarray_kind(dtype: DType) -> sys::napi_typedarray_type {
    use sys::TypedarrayType as T;
    match dtype {
        DType::Float32 => T::float32_array,
        DType::Float64 => T::float64_array,
        DType::Int8 => T::int8_array,
        DType::Int16 => T::int16_array,
        DType::Int32 => T::int32_array,
        DType::Int64 => T::bigint64_array,
        DType::Uint8 => T::uint8_array,
        DType::Uint16 => T::uint16_array,
        DType::Uint32 => T::uint32_array,
        DType::Uint64 => T::biguint64_array,
    }
}

/// A typed array over the array's memory: the original ArrayBuffer when the
/// memory was lent by this env, a view of the Python buffer when possible
/// (the new ArrayBuffer owns the lease), else a copy.
fn typed_array(js: Js, state: &EnvState, array: NdArray) -> NodeResult<sys::napi_value> {
    let kind = typedarray_kind(array.dtype);
    let length = array.len();
    let bytes = array.memory.len();
    let data = array.memory.as_ptr();
    let aligned = (data as usize) % array.dtype.item_size() == 0;
    if let Memory::Origin(range) = &array.memory {
        if let Some(keep) = range.origin.downcast_ref::<KeepAlive>() {
            if let Some((buffer, start)) = keep.buffer_in(js, state)? {
                if (start + range.offset) % array.dtype.item_size() == 0 {
                    return js.typedarray_at(kind, length, buffer, start + range.offset);
                }
            }
        }
    }
    let buffer = match array.memory {
        Memory::Python(lease) if bytes > 0 && aligned => {
            match js.external_arraybuffer(data, bytes, Box::new(lease))? {
                Ok(buffer) => buffer,
                Err(lease) => js.arraybuffer_copy(lease_bytes(&lease, data, bytes))?,
            }
        }
        memory => {
            let slice = if bytes == 0 {
                &[][..]
            } else {
                lease_bytes(&memory, data, bytes)
            };
            js.arraybuffer_copy(slice)?
        }
    };
    js.typedarray(kind, length, buffer)
}

/// The bytes of memory the caller still owns (borrowed from it).
fn lease_bytes<T>(_owner: &T, data: *const u8, len: usize) -> &[u8] {
    // SAFETY: `data..data+len` is the memory `_owner` keeps alive, and the
    // slice borrows `_owner`.
    unsafe { std::slice::from_raw_parts(data, len) }
}
