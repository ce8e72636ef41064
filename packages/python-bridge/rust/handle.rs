//! Ownership of Python references held outside the Python thread.
//!
//! A Python reference may be dropped anywhere: a JS handle is garbage
//! collected on the JS thread, a JS `ArrayBuffer` over numpy memory is
//! finalized there too. Releasing a Python reference needs the GIL, which the
//! JS thread never takes, so [`PythonBound`] ships the value to the Python
//! thread and drops it there (and drops it in place when already there).

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;

use crate::runtime;

/// A value that must be dropped on the Python thread.
pub struct PythonBound<T: Send + 'static>(ManuallyDrop<T>);

impl<T: Send + 'static> PythonBound<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        PythonBound(ManuallyDrop::new(value))
    }
}

impl<T: Send + 'static> Deref for PythonBound<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + 'static> Drop for PythonBound<T> {
    fn drop(&mut self) {
        // SAFETY: `self.0` is taken exactly once, here, and never used again.
        let value = unsafe { ManuallyDrop::take(&mut self.0) };
        if runtime::on_python_thread() {
            drop(value);
        } else {
            runtime::drop_on_python_thread(Box::new(value));
        }
    }
}

struct HandleInner {
    object: PythonBound<Py<PyAny>>,
    type_name: String,
    lane: OnceLock<runtime::Lane>,
}

/// A shared, thread-safe reference to a live Python object. Cloning shares
/// the reference; the object is released when the last clone is dropped.
#[derive(Clone)]
pub struct PyHandle(Arc<HandleInner>);

impl PyHandle {
    /// Takes a reference to `object` (on the Python thread).
    pub fn new(object: &Bound<'_, PyAny>) -> PyHandle {
        PyHandle(Arc::new(HandleInner {
            type_name: type_name(object),
            object: PythonBound::new(object.clone().unbind()),
            lane: OnceLock::new(),
        }))
    }

    /// The object, bound to the caller's attachment.
    pub fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.0.object.bind(py)
    }

    /// `module.qualname` of the object's type, e.g. `numpy.ndarray`.
    pub fn type_name(&self) -> &str {
        &self.0.type_name
    }

    /// The Python thread for calls made on behalf of this handle's object
    /// (the same one every time, assigned on first use).
    pub fn lane(&self) -> usize {
        self.0.lane.get_or_init(runtime::Lane::assign).index()
    }
}

/// `module.qualname` of an object's type (`builtins.dict`, `numpy.ndarray`).
pub fn type_name(object: &Bound<'_, PyAny>) -> String {
    let ty = object.get_type();
    let qualname = ty
        .qualname()
        .map(|q| q.to_string())
        .unwrap_or_else(|_| "?".to_string());
    match ty.module() {
        Ok(module) => format!("{module}.{qualname}"),
        Err(_) => qualname,
    }
}
