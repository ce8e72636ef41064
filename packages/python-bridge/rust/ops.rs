//! What the Python thread does for a caller: import, evaluate, execute, get
//! an attribute, call; how it reports the result ([`Outcome`]) or the
//! exception ([`exception`]); and how an awaitable result is handed to the
//! bridge's event loop ([`await_on_loop`]). Everything here runs on the
//! Python thread, except the `finish` callback of [`await_on_loop`], which
//! runs on the event-loop thread.

use std::any::Any;
use std::ffi::CString;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyModule, PyTuple};

use crate::convert;
use crate::error::{BridgeError, PythonException};
use crate::handle::PyHandle;
use crate::value::Value;

/// How the caller wants the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// A handle to the resulting object.
    Handle,
    /// The result converted to a JS value.
    Value,
    /// Nothing (statements).
    Nothing,
}

/// A finished operation's result, ready to cross to JS.
pub enum Outcome {
    /// A handle.
    Handle(PyHandle),
    /// A converted value.
    Value(Value),
    /// No result.
    Nothing,
}

impl Outcome {
    /// Shapes `object` as the caller wants it.
    pub fn of(object: &Bound<'_, PyAny>, want: Want) -> Result<Outcome, BridgeError> {
        Ok(match want {
            Want::Handle => Outcome::Handle(PyHandle::new(object)),
            Want::Value => Outcome::Value(convert::from_python(object)?),
            Want::Nothing => Outcome::Nothing,
        })
    }
}

const HELPERS_SOURCE: &str = include_str!("helpers.py");

struct Helpers {
    evaluate: Py<PyAny>,
    execute: Py<PyAny>,
    format_exception: Py<PyAny>,
    big_to_bytes: Py<PyAny>,
    big_from_bytes: Py<PyAny>,
    loaded_module: Py<PyAny>,
    schedule: Py<PyAny>,
}

static HELPERS: PyOnceLock<Helpers> = PyOnceLock::new();

fn helpers(py: Python<'_>) -> PyResult<&Helpers> {
    HELPERS.get_or_try_init(py, || {
        let source = CString::new(HELPERS_SOURCE).expect("helpers.py has no NUL");
        let module =
            PyModule::from_code(py, &source, c"<remotemedia-bridge>", c"_remotemedia_bridge")?;
        let get = |name: &str| module.getattr(name).map(Bound::unbind);
        Ok(Helpers {
            evaluate: get("evaluate")?,
            execute: get("execute")?,
            format_exception: get("format_exception")?,
            big_to_bytes: get("big_to_bytes")?,
            big_from_bytes: get("big_from_bytes")?,
            loaded_module: get("loaded_module")?,
            schedule: get("schedule")?,
        })
    })
}

fn python_err(py: Python<'_>) -> impl Fn(PyErr) -> BridgeError + '_ {
    move |e| BridgeError::from(exception(py, &e))
}

/// Captures a Python exception: type, message and full traceback.
pub fn exception(py: Python<'_>, err: &PyErr) -> PythonException {
    let value = err.value(py);
    let ty = value.get_type();
    let py_type = ty
        .qualname()
        .map(|q| q.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let module = ty
        .module()
        .map(|m| m.to_string())
        .unwrap_or_else(|_| "builtins".into());
    let message = value
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "<exception str() failed>".into());
    let traceback = helpers(py)
        .and_then(|h| {
            h.format_exception
                .bind(py)
                .call1((value, err.traceback(py)))
        })
        .and_then(|t| t.extract::<String>())
        .unwrap_or_else(|_| format!("{py_type}: {message}\n"));
    PythonException {
        py_type,
        module,
        message,
        traceback,
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// `importlib.import_module(name)`.
pub fn import<'py>(py: Python<'py>, name: &str) -> Result<Bound<'py, PyAny>, BridgeError> {
    PyModule::import(py, name)
        .map(Bound::into_any)
        .map_err(python_err(py))
}

/// Evaluates an expression in `__main__`'s namespace plus `locals`.
pub fn eval<'py>(
    py: Python<'py>,
    source: &str,
    locals: Option<Vec<(String, Value)>>,
) -> Result<Bound<'py, PyAny>, BridgeError> {
    let names = match locals {
        Some(entries) => convert::dict_to_python(py, entries)
            .map_err(|e| e.rooted("locals"))?
            .into_any(),
        None => py.None().into_bound(py),
    };
    let h = helpers(py).map_err(python_err(py))?;
    h.evaluate
        .bind(py)
        .call1((source, names))
        .map_err(python_err(py))
}

/// Runs statements in `globals` (a dict handle) or `__main__`'s dict.
pub fn exec(py: Python<'_>, source: &str, globals: Option<&PyHandle>) -> Result<(), BridgeError> {
    let namespace = match globals {
        Some(handle) => {
            let object = handle.bind(py);
            if !object.is_instance_of::<PyDict>() {
                return Err(BridgeError::conversion(format!(
                    "exec needs a dict for its globals, got {}",
                    handle.type_name()
                ))
                .rooted("globals"));
            }
            object.clone()
        }
        None => py.None().into_bound(py),
    };
    let h = helpers(py).map_err(python_err(py))?;
    h.execute
        .bind(py)
        .call1((source, namespace))
        .map_err(python_err(py))?;
    Ok(())
}

/// `getattr(target, name)`.
pub fn get_attr<'py>(
    py: Python<'py>,
    target: &PyHandle,
    name: &str,
) -> Result<Bound<'py, PyAny>, BridgeError> {
    target.bind(py).getattr(name).map_err(python_err(py))
}

/// `target(*args, **kwargs)`, or `target.method(*args, **kwargs)`.
pub fn call<'py>(
    py: Python<'py>,
    target: &PyHandle,
    method: Option<&str>,
    args: Vec<Value>,
    kwargs: Option<Vec<(String, Value)>>,
) -> Result<Bound<'py, PyAny>, BridgeError> {
    let object = target.bind(py);
    let callable = match method {
        Some(name) => object.getattr(name).map_err(python_err(py))?,
        None => object.clone(),
    };
    let items = args
        .into_iter()
        .enumerate()
        .map(|(i, v)| convert::to_python(py, v).map_err(|e| e.at_index(i).rooted("args")))
        .collect::<Result<Vec<_>, _>>()?;
    let args = PyTuple::new(py, items).map_err(python_err(py))?;
    let kwargs = match kwargs {
        Some(entries) if !entries.is_empty() => {
            Some(convert::dict_to_python(py, entries).map_err(|e| e.rooted("kwargs"))?)
        }
        _ => None,
    };
    callable.call(args, kwargs.as_ref()).map_err(python_err(py))
}

/// `(negative, magnitude bytes)` of a Python int.
pub fn int_to_bytes(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<(bool, Vec<u8>)> {
    helpers(py)?
        .big_to_bytes
        .bind(py)
        .call1((value,))?
        .extract()
}

/// A Python int from a sign and magnitude bytes.
pub fn int_from_bytes<'py>(
    py: Python<'py>,
    negative: bool,
    magnitude: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    helpers(py)?
        .big_from_bytes
        .bind(py)
        .call1((negative, pyo3::types::PyBytes::new(py, magnitude)))
}

/// `sys.modules.get(name)`: a module only if something already imported it.
pub fn loaded_module<'py>(py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let module = helpers(py)?.loaded_module.bind(py).call1((name,))?;
    Ok((!module.is_none()).then_some(module))
}

/// True when `object` is awaitable (its type fills the `__await__` slot:
/// coroutines, asyncio futures, classes defining `__await__`).
pub fn is_awaitable(object: &Bound<'_, PyAny>) -> bool {
    // SAFETY: the object is alive while bound, so its type object is too;
    // reading the type's async slot table is what CPython's own
    // `PyCoro`/`am_await` checks do, and the GIL is held (bound object).
    unsafe {
        let ty = pyo3::ffi::Py_TYPE(object.as_ptr());
        let slots = (*ty).tp_as_async;
        !slots.is_null() && (*slots).am_await.is_some()
    }
}

/// Awaits `awaitable` on the bridge's event loop (one per interpreter, run by
/// a daemon Python thread started on first use) and calls `finish` exactly
/// once with the awaited value or the exception: on the event-loop thread
/// when it completes, or here and now when it cannot be scheduled. The
/// calling thread returns at once, free for other work.
pub fn await_on_loop<F>(py: Python<'_>, awaitable: &Bound<'_, PyAny>, finish: F)
where
    F: for<'py> FnOnce(Python<'py>, Result<Bound<'py, PyAny>, BridgeError>) + Send + 'static,
{
    let slot = std::sync::Arc::new(Mutex::new(Some(finish)));
    let take = {
        let slot = slot.clone();
        move || slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    };
    let done = PyCFunction::new_closure(
        py,
        Some(c"remotemedia_settle"),
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| {
            let Some(finish) = take() else { return };
            let py = args.py();
            let result = match (args.get_item(0), args.get_item(1)) {
                (Ok(ok), Ok(value)) if ok.is_truthy().unwrap_or(false) => Ok(value),
                (Ok(_), Ok(value)) => {
                    Err(BridgeError::from(exception(py, &PyErr::from_value(value))))
                }
                _ => Err(BridgeError::Panic(
                    "the event loop settled without a result".into(),
                )),
            };
            finish(py, result);
        },
    );
    let scheduled = done.and_then(|done| {
        helpers(py)?
            .schedule
            .bind(py)
            .call1((awaitable, done))
            .map(drop)
    });
    if let Err(e) = scheduled {
        if let Some(finish) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
            finish(py, Err(BridgeError::from(exception(py, &e))));
        }
    }
}
