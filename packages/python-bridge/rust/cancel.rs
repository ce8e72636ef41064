//! Cancellation a caller can signal while the Python thread is busy.
//!
//! A [`CancelFlag`] is one shared atomic boolean. Any thread may set it (the
//! JS thread when the call's caller gives up) without the GIL or a job on the
//! Python thread, which may be running the very call to stop; Python code
//! polls it between units of work through [`CancelToken`], whose `is_set()`
//! matches `threading.Event`'s, so `remotemedia.runtime_host` takes either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

/// A shared cancellation flag: clones see the same flag; once set it stays set.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag not set yet.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Sets the flag (from any thread; idempotent).
    pub fn cancel(&self) {
        // Relaxed: the flag publishes no other data; readers only need to see it eventually.
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`CancelFlag::cancel`] was called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A [`CancelFlag`] as Python sees it: `token.is_set()` is True once the
/// caller cancelled.
#[pyclass(frozen, module = "_remotemedia_bridge", name = "CancelToken")]
pub struct CancelToken {
    flag: CancelFlag,
}

impl CancelToken {
    /// Wraps a flag.
    pub fn new(flag: CancelFlag) -> CancelToken {
        CancelToken { flag }
    }

    /// The flag.
    pub fn flag(&self) -> &CancelFlag {
        &self.flag
    }
}

#[pymethods]
impl CancelToken {
    /// True once the caller cancelled (as `threading.Event.is_set`).
    fn is_set(&self) -> bool {
        self.flag.is_cancelled()
    }

    fn __repr__(&self) -> &'static str {
        if self.flag.is_cancelled() {
            "CancelToken(cancelled)"
        } else {
            "CancelToken(pending)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_flag_settable_from_any_thread() {
        let flag = CancelFlag::new();
        let clone = flag.clone();
        assert!(!flag.is_cancelled());
        std::thread::spawn(move || clone.cancel()).join().unwrap();
        assert!(flag.is_cancelled());
        assert!(!CancelFlag::new().is_cancelled());
    }
}
