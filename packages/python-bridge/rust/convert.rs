//! Conversion between [`Value`] and Python objects, on the Python thread,
//! following core's RuntimeData mapping (see the module doc of
//! `src/Interpreter.ts` for the table).
//!
//! Tensors and audio samples never copy when the memory allows it: a JS
//! typed array becomes `numpy.frombuffer(ForeignBuffer)` over the same bytes,
//! and a C-contiguous, writable ndarray crosses back as a lease on its
//! buffer that the JS `ArrayBuffer` keeps. Other arrays are copied once
//! (to a contiguous, writable array) and then lent the same way.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
    PyType,
};

use crate::buffer::ForeignBuffer;
use crate::cancel::CancelToken;
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::ops;
use crate::value::{BigInt, DType, Memory, NdArray, OriginRange, PyBufferLease, Value};

/// Deepest nesting converted either way, counted in lists / arrays and
/// dicts / objects below the root value (core's `RuntimeData.MAX_DEPTH`, so
/// a pipeline item, one level inside the call's arguments, may nest as deep
/// as core allows). Deeper data, or a reference cycle, fails with a
/// conversion error instead of exhausting the stack.
pub const MAX_DEPTH: usize = 1000;

/// The containers being converted, outermost first: they bound the depth,
/// and on reaching [`MAX_DEPTH`] tell a reference cycle (a container among
/// them is its own descendant) from merely deep data. Nothing is compared
/// before the limit.
pub struct Ancestors<T> {
    stack: Vec<T>,
}

impl<T> Default for Ancestors<T> {
    fn default() -> Self {
        Ancestors { stack: Vec::new() }
    }
}

impl<T> Ancestors<T> {
    /// Enters the container `value`, or fails when it would be nested deeper
    /// than [`MAX_DEPTH`]: as the outermost cycle when a container on the
    /// way down, `value` included, occurs twice (`same` compares identity),
    /// else as too deep. That search compares each pair once, only here.
    pub fn enter<E: From<BridgeError>>(
        &mut self,
        value: T,
        mut same: impl FnMut(&T, &T) -> Result<bool, E>,
    ) -> Result<(), E> {
        let depth = self.stack.len();
        self.stack.push(value);
        if depth <= MAX_DEPTH {
            return Ok(());
        }
        for first in 0..depth {
            for next in first + 1..=depth {
                if same(&self.stack[first], &self.stack[next])? {
                    return Err(BridgeError::cycle(first, next, depth).into());
                }
            }
        }
        Err(BridgeError::too_deep().into())
    }

    /// Leaves the innermost container.
    pub fn leave(&mut self) {
        self.stack.pop();
    }
}

struct Numpy {
    ndarray: Py<PyType>,
    scalars: Py<PyTuple>,
    frombuffer: Py<PyAny>,
    /// `numpy.dtype(d.name())` for each of [`DType::ALL`], in that order
    /// (passing the object spares numpy parsing the name per array).
    dtypes: Vec<Py<PyAny>>,
}

impl Numpy {
    fn dtype<'py>(&self, py: Python<'py>, dtype: DType) -> &Bound<'py, PyAny> {
        let i = DType::ALL.iter().position(|d| *d == dtype).unwrap_or(0);
        self.dtypes[i].bind(py)
    }
}

static NUMPY: PyOnceLock<Numpy> = PyOnceLock::new();
static AUDIO: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static VIDEO_FRAME: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn load_numpy(py: Python<'_>, module: &Bound<'_, PyAny>) -> PyResult<&'static Numpy> {
    NUMPY.get_or_try_init(py, || {
        Ok(Numpy {
            ndarray: module.getattr("ndarray")?.cast_into::<PyType>()?.unbind(),
            scalars: PyTuple::new(
                py,
                [
                    module.getattr("bool_")?,
                    module.getattr("integer")?,
                    module.getattr("floating")?,
                ],
            )?
            .unbind(),
            frombuffer: module.getattr("frombuffer")?.unbind(),
            dtypes: DType::ALL
                .iter()
                .map(|d| Ok(module.getattr("dtype")?.call1((d.name(),))?.unbind()))
                .collect::<PyResult<_>>()?,
        })
    })
}

/// numpy, importing it if needed (JS tensors need it).
fn numpy_required(py: Python<'_>) -> Result<&'static Numpy, BridgeError> {
    if let Some(np) = NUMPY.get(py) {
        return Ok(np);
    }
    let module = py.import("numpy").map_err(|e| {
        BridgeError::conversion(format!(
            "tensors need numpy, which does not import: {}",
            ops::exception(py, &e)
        ))
    })?;
    load_numpy(py, module.as_any()).map_err(|e| BridgeError::from(ops::exception(py, &e)))
}

/// numpy, only if something imported it already (a result cannot hold an
/// ndarray otherwise, so conversion never imports it).
fn numpy_loaded(py: Python<'_>) -> Option<&'static Numpy> {
    if let Some(np) = NUMPY.get(py) {
        return Some(np);
    }
    let module = ops::loaded_module(py, "numpy").ok()??;
    load_numpy(py, &module).ok()
}

/// A `remotemedia.data` class (`Audio`, `VideoFrame`), cached in `cell`.
fn load_data_class(
    py: Python<'_>,
    cell: &'static PyOnceLock<Py<PyType>>,
    module: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<&'static Py<PyType>> {
    cell.get_or_try_init(py, || {
        Ok(module.getattr(name)?.cast_into::<PyType>()?.unbind())
    })
}

/// A `remotemedia.data` class, importing the package if needed.
fn data_class_required(
    py: Python<'_>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> Result<&'static Py<PyType>, BridgeError> {
    if let Some(cls) = cell.get(py) {
        return Ok(cls);
    }
    let module = py.import("remotemedia.data").map_err(|e| {
        BridgeError::conversion(format!(
            "{name} needs the remotemedia Python package, which does not import: {}",
            ops::exception(py, &e)
        ))
    })?;
    load_data_class(py, cell, module.as_any(), name)
        .map_err(|e| BridgeError::from(ops::exception(py, &e)))
}

/// A `remotemedia.data` class, only if something imported the package already.
fn data_class_loaded(
    py: Python<'_>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> Option<&'static Py<PyType>> {
    if let Some(cls) = cell.get(py) {
        return Some(cls);
    }
    let module = ops::loaded_module(py, "remotemedia.data").ok()??;
    load_data_class(py, cell, &module, name).ok()
}

// ---------------------------------------------------------------------------
// Value -> Python
// ---------------------------------------------------------------------------

/// Builds the Python object for `value` (consuming it: lent memory moves
/// into the numpy array that views it).
pub fn to_python(py: Python<'_>, value: Value) -> Result<Bound<'_, PyAny>, BridgeError> {
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    Ok(match value {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => match i.into_pyobject(py) {
            Ok(int) => int.into_any(),
        },
        Value::BigInt(b) => {
            ops::int_from_bytes(py, b.negative, &b.magnitude_bytes()).map_err(py_err)?
        }
        Value::Float(x) => PyFloat::new(py, x).into_any(),
        Value::Str(s) => PyString::new(py, &s).into_any(),
        Value::Utf16(units) => {
            let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            PyBytes::new(py, &bytes)
                .call_method1("decode", ("utf-16-le", "surrogatepass"))
                .map_err(py_err)?
        }
        Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
        Value::List(items) => {
            let objects = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| to_python(py, v).map_err(|e| e.at_index(i)))
                .collect::<Result<Vec<_>, _>>()?;
            PyList::new(py, objects).map_err(py_err)?.into_any()
        }
        Value::Dict(entries) => dict_to_python(py, entries)?.into_any(),
        Value::Array(array) => ndarray(py, array)?,
        Value::Audio {
            samples,
            sample_rate,
            channels,
        } => {
            if samples.dtype != DType::Float32 || samples.shape.len() != 1 {
                return Err(
                    BridgeError::conversion("Audio samples must be a 1-D float32 array")
                        .at_key("samples"),
                );
            }
            let cls = data_class_required(py, &AUDIO, "Audio")?.bind(py);
            let whole_frames = channels > 0 && samples.len() % channels as usize == 0;
            let samples = ndarray(py, samples).map_err(|e| e.at_key("samples"))?;
            if whole_frames && sample_rate > 0 {
                // What `Audio.__post_init__` would check holds (1-D
                // float32, C-contiguous, positive ints, whole frames) and
                // what it would normalise is already normal: set the fields
                // directly, skipping a Python-level validation per item.
                let audio = cls
                    .call_method1(pyo3::intern!(py, "__new__"), (cls,))
                    .map_err(py_err)?;
                audio
                    .setattr(pyo3::intern!(py, "samples"), samples)
                    .map_err(py_err)?;
                audio
                    .setattr(pyo3::intern!(py, "sample_rate"), sample_rate)
                    .map_err(py_err)?;
                audio
                    .setattr(pyo3::intern!(py, "channels"), channels)
                    .map_err(py_err)?;
                return Ok(audio);
            }
            let kwargs = PyDict::new(py);
            kwargs.set_item("samples", samples).map_err(py_err)?;
            kwargs
                .set_item("sample_rate", sample_rate)
                .map_err(py_err)?;
            kwargs.set_item("channels", channels).map_err(py_err)?;
            cls.call((), Some(&kwargs)).map_err(py_err)?
        }
        Value::VideoFrame {
            data,
            width,
            height,
            format,
        } => {
            let cls = data_class_required(py, &VIDEO_FRAME, "VideoFrame")?;
            let kwargs = PyDict::new(py);
            kwargs
                .set_item("data", PyBytes::new(py, &data))
                .map_err(py_err)?;
            kwargs.set_item("width", width).map_err(py_err)?;
            kwargs.set_item("height", height).map_err(py_err)?;
            kwargs.set_item("format", format).map_err(py_err)?;
            cls.bind(py).call((), Some(&kwargs)).map_err(py_err)?
        }
        Value::Object(handle) => handle.bind(py).clone(),
        Value::Cancel(flag) => Bound::new(py, CancelToken::new(flag))
            .map_err(py_err)?
            .into_any(),
    })
}

/// A dict with `str` keys, in order.
pub fn dict_to_python(
    py: Python<'_>,
    entries: Vec<(String, Value)>,
) -> Result<Bound<'_, PyDict>, BridgeError> {
    let dict = PyDict::new(py);
    for (key, value) in entries {
        let object = to_python(py, value).map_err(|e| e.at_key(&key))?;
        dict.set_item(key, object)
            .map_err(|e| BridgeError::from(ops::exception(py, &e)))?;
    }
    Ok(dict)
}

/// `numpy.frombuffer(ForeignBuffer(memory), dtype).reshape(shape)`: a
/// writable ndarray over the caller's memory, no copy.
fn ndarray(py: Python<'_>, array: NdArray) -> Result<Bound<'_, PyAny>, BridgeError> {
    array.validate().map_err(BridgeError::conversion)?;
    let np = numpy_required(py)?;
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    let NdArray {
        dtype,
        shape,
        memory,
    } = array;
    let memory = match memory {
        Memory::Foreign(m) => m,
        Memory::Python(_) | Memory::Origin(_) => {
            return Err(BridgeError::conversion(
                "an array leased from Python cannot be lent back",
            ));
        }
    };
    let exporter = Bound::new(py, ForeignBuffer::new(memory)).map_err(py_err)?;
    let flat = np
        .frombuffer
        .bind(py)
        .call1((exporter, np.dtype(py, dtype)))
        .map_err(py_err)?;
    if shape.len() == 1 {
        return Ok(flat);
    }
    flat.call_method1("reshape", (PyTuple::new(py, shape).map_err(py_err)?,))
        .map_err(py_err)
}

// ---------------------------------------------------------------------------
// Python -> Value
// ---------------------------------------------------------------------------

struct Known {
    numpy: Option<&'static Numpy>,
    audio: Option<&'static Py<PyType>>,
    video_frame: Option<&'static Py<PyType>>,
}

/// Reads `object` into a [`Value`]; objects without a JS counterpart become
/// [`Value::Object`] handles.
pub fn from_python(object: &Bound<'_, PyAny>) -> Result<Value, BridgeError> {
    let py = object.py();
    let known = Known {
        numpy: numpy_loaded(py),
        audio: data_class_loaded(py, &AUDIO, "Audio"),
        video_frame: data_class_loaded(py, &VIDEO_FRAME, "VideoFrame"),
    };
    read(object, &known, &mut Ancestors::default())
}

/// Python containers being read, by address (each is alive in a caller's frame).
type Open = Ancestors<*mut pyo3::ffi::PyObject>;

fn read(object: &Bound<'_, PyAny>, known: &Known, open: &mut Open) -> Result<Value, BridgeError> {
    let py = object.py();
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    if object.is_none() {
        return Ok(Value::None);
    }
    // Exact built-in types first: the common case, one pointer compare each.
    if let Ok(b) = object.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if object.is_exact_instance_of::<PyInt>() {
        return read_int(object);
    }
    if let Ok(f) = object.cast_exact::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = object.cast_exact::<PyString>() {
        return read_str(s);
    }
    if let Ok(b) = object.cast_exact::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(list) = object.cast_exact::<PyList>() {
        return read_sequence(object, list.iter(), known, open);
    }
    if let Ok(dict) = object.cast_exact::<PyDict>() {
        return read_dict(object, dict, known, open);
    }
    if let Ok(tuple) = object.cast_exact::<PyTuple>() {
        return read_sequence(object, tuple.iter(), known, open);
    }
    // Known classes.
    if let Some(np) = known.numpy {
        if object.is_instance(np.ndarray.bind(py)).map_err(py_err)? {
            return Ok(match read_ndarray(object)? {
                Some(array) => Value::Array(array),
                None => Value::Object(PyHandle::new(object)),
            });
        }
        if object.is_instance(np.scalars.bind(py)).map_err(py_err)? {
            let item = object.call_method0("item").map_err(py_err)?;
            return read(&item, known, open);
        }
    }
    if let Some(audio) = known.audio {
        if object.is_instance(audio.bind(py)).map_err(py_err)? {
            return read_audio(object, known);
        }
    }
    if let Some(frame) = known.video_frame {
        if object.is_instance(frame.bind(py)).map_err(py_err)? {
            return read_video_frame(object);
        }
    }
    // Subclasses of the built-ins (IntEnum, str enums, OrderedDict, ...).
    if object.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(object.is_truthy().map_err(py_err)?));
    }
    if object.is_instance_of::<PyInt>() {
        return read_int(object);
    }
    if let Ok(f) = object.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = object.cast::<PyString>() {
        return read_str(s);
    }
    if let Ok(b) = object.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = object.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if object.is_instance_of::<PyMemoryView>() {
        let bytes = object.call_method0("tobytes").map_err(py_err)?;
        return Ok(Value::Bytes(
            bytes
                .cast::<PyBytes>()
                .map_err(|e| py_err(e.into()))?
                .as_bytes()
                .to_vec(),
        ));
    }
    if let Ok(list) = object.cast::<PyList>() {
        return read_sequence(object, list.iter(), known, open);
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        return read_sequence(object, tuple.iter(), known, open);
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        return read_dict(object, dict, known, open);
    }
    if let Ok(token) = object.cast_exact::<CancelToken>() {
        return Ok(Value::Cancel(token.get().flag().clone()));
    }
    Ok(Value::Object(PyHandle::new(object)))
}

fn read_int(object: &Bound<'_, PyAny>) -> Result<Value, BridgeError> {
    if let Ok(i) = object.extract::<i64>() {
        return Ok(Value::Int(i));
    }
    let py = object.py();
    let (negative, magnitude) =
        ops::int_to_bytes(py, object).map_err(|e| BridgeError::from(ops::exception(py, &e)))?;
    Ok(Value::BigInt(BigInt::from_magnitude_bytes(
        negative, &magnitude,
    )))
}

fn read_str(s: &Bound<'_, PyString>) -> Result<Value, BridgeError> {
    match s.to_str() {
        Ok(text) => Ok(Value::Str(text.to_owned())),
        Err(_) => {
            // Lone surrogates: valid in both Python and JS strings, not in
            // UTF-8. Carry UTF-16 code units instead.
            let py = s.py();
            let bytes = s
                .call_method1("encode", ("utf-16-le", "surrogatepass"))
                .map_err(|e| BridgeError::from(ops::exception(py, &e)))?;
            let bytes = bytes
                .cast::<PyBytes>()
                .map_err(|e| BridgeError::conversion(e.to_string()))?;
            let units = bytes
                .as_bytes()
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            Ok(Value::Utf16(units))
        }
    }
}

fn same_object(
    a: &*mut pyo3::ffi::PyObject,
    b: &*mut pyo3::ffi::PyObject,
) -> Result<bool, BridgeError> {
    Ok(a == b)
}

fn read_sequence<'py>(
    object: &Bound<'py, PyAny>,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    known: &Known,
    open: &mut Open,
) -> Result<Value, BridgeError> {
    open.enter(object.as_ptr(), same_object)?;
    let list = items
        .enumerate()
        .map(|(i, item)| read(&item, known, open).map_err(|e| e.at_index(i)))
        .collect::<Result<Vec<_>, _>>()?;
    open.leave();
    Ok(Value::List(list))
}

fn read_dict(
    object: &Bound<'_, PyAny>,
    dict: &Bound<'_, PyDict>,
    known: &Known,
    open: &mut Open,
) -> Result<Value, BridgeError> {
    // Only str keys make a plain object; any other key keeps the dict whole,
    // as a handle.
    if !dict.keys().iter().all(|k| k.is_instance_of::<PyString>()) {
        return Ok(Value::Object(PyHandle::new(object)));
    }
    open.enter(object.as_ptr(), same_object)?;
    let mut entries = Vec::with_capacity(dict.len());
    for (key, item) in dict.iter() {
        let key = match read_str(key.cast::<PyString>().expect("checked above"))? {
            Value::Str(s) => s,
            _ => String::from_utf16_lossy(&key.to_string().encode_utf16().collect::<Vec<_>>()),
        };
        let value = read(&item, known, open).map_err(|e| e.at_key(&key))?;
        entries.push((key, value));
    }
    open.leave();
    Ok(Value::Dict(entries))
}

/// An ndarray of a core dtype as a lease on its memory; `None` for other
/// dtypes (they stay Python objects).
fn read_ndarray(object: &Bound<'_, PyAny>) -> Result<Option<NdArray>, BridgeError> {
    let py = object.py();
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    // Object arrays and other unexportable dtypes fail here: not a tensor.
    let Ok(buffer) = PyUntypedBuffer::get(object) else {
        return Ok(None);
    };
    let Some(dtype) = DType::from_buffer_format(buffer.format().to_bytes(), buffer.item_size())
    else {
        return Ok(None);
    };
    let buffer = if buffer.is_c_contiguous() && !buffer.readonly() {
        buffer
    } else {
        // Strided or read-only: one copy into a fresh C-contiguous array that
        // JS may write to without touching the original.
        drop(buffer);
        let copy = object.call_method1("copy", ("C",)).map_err(py_err)?;
        PyUntypedBuffer::get(&copy).map_err(py_err)?
    };
    let shape = buffer.shape().to_vec();
    let memory = match lent_origin(object, &buffer) {
        Some(range) => Memory::Origin(range),
        None => Memory::Python(PyBufferLease::new(buffer)),
    };
    Ok(Some(NdArray {
        dtype,
        shape,
        memory,
    }))
}

/// If `array` views memory that was lent to Python (a numpy view over a
/// [`ForeignBuffer`] with an origin, through any chain of `.base` views and
/// the memoryview `numpy.frombuffer` puts in between), the range it covers;
/// JS then gets its own memory back instead of a new buffer over it. Looks
/// at most 32 levels up.
fn lent_origin(array: &Bound<'_, PyAny>, buffer: &PyUntypedBuffer) -> Option<OriginRange> {
    let mut current = array.clone();
    for _ in 0..32 {
        if let Ok(exporter) = current.cast::<ForeignBuffer>() {
            let memory = exporter.get().memory();
            return OriginRange::within(memory, buffer.buf_ptr().cast(), buffer.len_bytes());
        }
        current = if current.is_instance_of::<PyMemoryView>() {
            current.getattr("obj").ok()?
        } else {
            current.getattr("base").ok()?
        };
        if current.is_none() {
            return None;
        }
    }
    None
}

fn read_video_frame(object: &Bound<'_, PyAny>) -> Result<Value, BridgeError> {
    let py = object.py();
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    let attr = |name: &str| object.getattr(name).map_err(py_err);
    Ok(Value::VideoFrame {
        data: attr("data")?.extract::<Vec<u8>>().map_err(py_err)?,
        width: attr("width")?.extract().map_err(py_err)?,
        height: attr("height")?.extract().map_err(py_err)?,
        format: attr("format")?.extract().map_err(py_err)?,
    })
}

fn read_audio(object: &Bound<'_, PyAny>, known: &Known) -> Result<Value, BridgeError> {
    let py = object.py();
    let py_err = |e: PyErr| BridgeError::from(ops::exception(py, &e));
    let samples = object.getattr("samples").map_err(py_err)?;
    let sample_rate: u32 = object
        .getattr("sample_rate")
        .and_then(|v| v.extract())
        .map_err(py_err)?;
    let channels: u32 = object
        .getattr("channels")
        .and_then(|v| v.extract())
        .map_err(py_err)?;
    let is_f32_vector = |a: &NdArray| a.dtype == DType::Float32 && a.shape.len() == 1;
    let array = match known.numpy {
        Some(np) if samples.is_instance(np.ndarray.bind(py)).map_err(py_err)? => {
            read_ndarray(&samples)?
        }
        _ => None,
    };
    let samples = match array {
        Some(a) if is_f32_vector(&a) => a,
        _ => {
            // Someone replaced the samples after construction: coerce a copy.
            numpy_required(py)?;
            let coerced = py
                .import("numpy")
                .and_then(|m| m.call_method1("ascontiguousarray", (samples, "float32")))
                .and_then(|a| a.call_method1("reshape", (-1,)))
                .map_err(py_err)?;
            match read_ndarray(&coerced)? {
                Some(a) if is_f32_vector(&a) => a,
                _ => return Ok(Value::Object(PyHandle::new(object))),
            }
        }
    };
    Ok(Value::Audio {
        samples,
        sample_rate,
        channels,
    })
}
