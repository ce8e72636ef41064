//! The one place that hands raw memory to Python: [`ForeignBuffer`], a tiny
//! buffer-protocol exporter over [`ForeignMemory`]. numpy views it with
//! `numpy.frombuffer`, so a JS typed array becomes an ndarray over the very
//! same bytes. The exporter owns the memory's keep-alive; numpy's array (and
//! every view of it) holds the exporter, so the JS memory stays alive exactly
//! as long as Python can see it.

use std::ffi::c_int;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::value::ForeignMemory;

/// A writable, one-dimensional byte buffer over memory owned outside Python.
#[pyclass(frozen, module = "_remotemedia_bridge", name = "ForeignBuffer")]
pub struct ForeignBuffer {
    memory: ForeignMemory,
}

impl ForeignBuffer {
    /// Wraps memory for export.
    pub fn new(memory: ForeignMemory) -> ForeignBuffer {
        ForeignBuffer { memory }
    }

    /// The exported memory.
    pub fn memory(&self) -> &ForeignMemory {
        &self.memory
    }
}

#[pymethods]
impl ForeignBuffer {
    /// Exports the bytes (`memoryview(buf)`, `numpy.frombuffer(buf)`).
    ///
    /// # Safety
    /// Called by CPython with a valid `view` to fill.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let memory = &slf.get().memory;
        let len = isize::try_from(memory.len())
            .map_err(|_| PyBufferError::new_err("buffer too large"))?;
        // SAFETY: `view` is valid (CPython's contract for getbuffer); the
        // memory is valid for `len` bytes while `slf` lives, and FillInfo
        // stores a new reference to `slf` in `view.obj`, which keeps it alive
        // until the consumer releases the view.
        let status = unsafe {
            ffi::PyBuffer_FillInfo(view, slf.as_ptr(), memory.as_ptr().cast(), len, 0, flags)
        };
        if status == -1 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    /// Nothing to free: the view borrows `self.memory`.
    ///
    /// # Safety
    /// Called by CPython with the view filled by `__getbuffer__`.
    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}

    /// Address of the first byte (diagnostics: compare with
    /// `ndarray.__array_interface__["data"][0]`).
    #[getter]
    fn address(&self) -> usize {
        self.memory.as_ptr() as usize
    }

    fn __len__(&self) -> usize {
        self.memory.len()
    }
}
