//! The crate's one error type. Every failure, from start-up to a Python
//! exception, is a [`BridgeError`]; the Node edge (`rust/node`) turns it into a
//! JS error carrying [`BridgeError::code`] and nothing else does.

use std::fmt;

/// A Python exception, captured on the Python thread while it was current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonException {
    /// The exception class's `__qualname__`, e.g. `ValueError`.
    pub py_type: String,
    /// The module that defines the class, e.g. `builtins`.
    pub module: String,
    /// `str(exception)`.
    pub message: String,
    /// The full formatted traceback (`traceback.format_exception`), chained
    /// causes included, ending with the `Type: message` line.
    pub traceback: String,
}

impl fmt::Display for PythonException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.py_type, self.message)
    }
}

/// Everything that can go wrong in the bridge.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BridgeError {
    /// `dladdr(Py_Initialize)` did not name the shared library that holds the
    /// interpreter (a statically linked Python cannot be promoted).
    #[error("could not locate libpython in this process: {0}")]
    LibpythonNotFound(String),
    /// `dlopen(libpython, RTLD_NOLOAD | RTLD_GLOBAL)` failed, so C extensions
    /// would not resolve the interpreter's symbols.
    #[error("could not make {path} globally visible (dlopen RTLD_GLOBAL): {reason}")]
    PromoteLibpython {
        /// The libpython path found by `dladdr`.
        path: String,
        /// `dlerror()`.
        reason: String,
    },
    /// `Py_InitializeFromConfig` failed, or the thread that runs Python could
    /// not be started.
    #[error("the Python interpreter did not start: {0}")]
    Initialize(String),
    /// The virtual environment cannot be used with this interpreter.
    #[error("venv {venv}: {reason}")]
    Venv {
        /// The venv directory.
        venv: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// `start` asked for a different venv than the running interpreter uses;
    /// one process holds one interpreter, configured once.
    #[error(
        "Python already runs with {running}; it cannot switch to venv {requested} in this process"
    )]
    VenvConflict {
        /// What the interpreter was started with.
        running: String,
        /// What was asked for now.
        requested: String,
    },
    /// An operation was attempted before `start`.
    #[error("Python is not started; call start() first")]
    NotStarted,
    /// The Python thread is gone (it only stops when the process exits).
    #[error("the Python thread has stopped")]
    ThreadStopped,
    /// Python code raised.
    #[error("{0}")]
    Python(Box<PythonException>),
    /// A value has no counterpart on the other side, or is malformed.
    #[error("cannot convert {path}: {reason}")]
    Conversion {
        /// Where in the value, e.g. `args[1].samples`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// A `PyObject` handle was used after `release()`.
    #[error("this PyObject was released")]
    Released,
    /// A bug: Rust code on the Python thread panicked (the thread survives).
    #[error("internal error on the Python thread: {0}")]
    Panic(String),
}

impl BridgeError {
    /// The stable code the JS error carries (`error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::LibpythonNotFound(_)
            | Self::PromoteLibpython { .. }
            | Self::Initialize(_)
            | Self::Venv { .. }
            | Self::VenvConflict { .. } => "ERR_PYTHON_START",
            Self::NotStarted => "ERR_PYTHON_NOT_STARTED",
            Self::Python(_) => "ERR_PYTHON_EXCEPTION",
            Self::Conversion { .. } => "ERR_PYTHON_CONVERSION",
            Self::Released => "ERR_PYOBJECT_RELEASED",
            Self::ThreadStopped | Self::Panic(_) => "ERR_PYTHON_BRIDGE",
        }
    }

    /// A conversion failure at the root of a value; callers add the path
    /// with [`BridgeError::at_index`] / [`BridgeError::at_key`] on the way out.
    pub fn conversion(reason: impl Into<String>) -> Self {
        Self::Conversion {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// Prefixes a conversion error's path with `[index]`.
    pub fn at_index(self, index: usize) -> Self {
        self.prefix_path(&format!("[{index}]"))
    }

    /// Prefixes a conversion error's path with `.key` (or `["key"]`).
    pub fn at_key(self, key: &str) -> Self {
        let is_ident = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key
                .chars()
                .all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric());
        if is_ident {
            self.prefix_path(&format!(".{key}"))
        } else {
            self.prefix_path(&format!("[{key:?}]"))
        }
    }

    /// Names the root of a conversion error's path (`args`, `kwargs`, ...).
    pub fn rooted(self, root: &str) -> Self {
        self.prefix_path(root)
    }

    fn prefix_path(self, prefix: &str) -> Self {
        match self {
            Self::Conversion { path, reason } => Self::Conversion {
                path: format!("{prefix}{path}"),
                reason,
            },
            other => other,
        }
    }
}

impl From<PythonException> for BridgeError {
    fn from(e: PythonException) -> Self {
        Self::Python(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_paths_read_like_js_accessors() {
        let e = BridgeError::conversion("functions have no Python counterpart")
            .at_key("fn")
            .at_index(2)
            .at_key("odd key")
            .rooted("args");
        assert_eq!(
            e.to_string(),
            "cannot convert args[\"odd key\"][2].fn: functions have no Python counterpart"
        );
        assert_eq!(e.code(), "ERR_PYTHON_CONVERSION");
    }

    #[test]
    fn python_errors_display_type_and_message() {
        let e = BridgeError::from(PythonException {
            py_type: "ValueError".into(),
            module: "builtins".into(),
            message: "boom".into(),
            traceback: String::new(),
        });
        assert_eq!(e.to_string(), "ValueError: boom");
        assert_eq!(e.code(), "ERR_PYTHON_EXCEPTION");
    }
}
