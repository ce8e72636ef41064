//! The crate's one error type. Every failure, from start-up to a Python
//! exception, is a [`BridgeError`]; the Node edge (`rust/node`) turns it into a
//! JS error carrying [`BridgeError::code`] and nothing else does.

use std::fmt;

use crate::convert::MAX_DEPTH;

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
    /// A value has no counterpart on the other side, is malformed, refers
    /// back to itself or is nested too deep.
    #[error("{}", conversion_message(.path, .problem))]
    Conversion {
        /// Where in the value, e.g. `args[1].samples`.
        path: ValuePath,
        /// What is wrong there.
        problem: Problem,
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
            path: ValuePath::default(),
            problem: Problem::Invalid(reason.into()),
        }
    }

    /// A value nested deeper than [`MAX_DEPTH`], found at its root.
    pub fn too_deep() -> Self {
        Self::Conversion {
            path: ValuePath::default(),
            problem: Problem::Depth,
        }
    }

    /// A container met again inside itself. Positions count the containers
    /// being converted, outermost first, up to `depth`, the one being
    /// entered: `first` is the outer occurrence, `next` the inner one. The
    /// path is cut at `next`, so the message shows the cycle once however
    /// often the conversion went round it.
    pub fn cycle(first: usize, next: usize, depth: usize) -> Self {
        Self::Conversion {
            path: ValuePath {
                reversed: Vec::new(),
                skip: depth - next,
            },
            problem: Problem::Cycle {
                length: next - first,
            },
        }
    }

    /// Prefixes a conversion error's path with `[index]`.
    pub fn at_index(self, index: usize) -> Self {
        self.prefix_path(|| format!("[{index}]"))
    }

    /// Prefixes a conversion error's path with `.key` (or `["key"]`; keys
    /// longer than [`KEY_CHARS`] characters are cut).
    pub fn at_key(self, key: &str) -> Self {
        self.prefix_path(|| {
            let is_ident = !key.is_empty()
                && !key.starts_with(|c: char| c.is_ascii_digit())
                && key
                    .chars()
                    .all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric());
            match key.char_indices().nth(KEY_CHARS) {
                Some((end, _)) => format!("[{:?}…]", &key[..end]),
                None if is_ident => format!(".{key}"),
                None => format!("[{key:?}]"),
            }
        })
    }

    /// Names the root of a conversion error's path (`args`, `kwargs`, ...).
    pub fn rooted(self, root: &str) -> Self {
        self.prefix_path(|| root.to_string())
    }

    /// `"cycle"` or `"depth"` for data that cannot cross because of its
    /// shape (the JS error's `reason`), else `None`.
    pub fn shape_problem(&self) -> Option<&'static str> {
        match self {
            Self::Conversion {
                problem: Problem::Cycle { .. },
                ..
            } => Some("cycle"),
            Self::Conversion {
                problem: Problem::Depth,
                ..
            } => Some("depth"),
            _ => None,
        }
    }

    fn prefix_path(mut self, segment: impl FnOnce() -> String) -> Self {
        if let Self::Conversion { path, .. } = &mut self {
            if path.skip > 0 {
                path.skip -= 1;
            } else {
                path.reversed.push(segment());
            }
        }
        self
    }
}

/// Longest object key shown in a path, in characters.
const KEY_CHARS: usize = 24;

/// Segments shown at each end of a long path; the middle is elided.
const PATH_ENDS: usize = 4;

/// Where in a value a conversion failed: accessor segments such as `args`,
/// `[1]`, `.samples`, collected innermost first while the error travels out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuePath {
    reversed: Vec<String>,
    /// Segments still to drop: those below a cycle's first repetition.
    skip: usize,
}

impl ValuePath {
    /// Segments outermost first, without the last `drop`, shown with the
    /// middle of a long path elided: `args[0][0][0]…(992 more levels)…[0][0][0][0]`.
    fn shown(&self, drop: usize) -> String {
        let segments: Vec<&str> = self.reversed[drop.min(self.reversed.len())..]
            .iter()
            .rev()
            .map(String::as_str)
            .collect();
        if segments.len() <= 2 * PATH_ENDS + 1 {
            return segments.concat();
        }
        let elided = segments.len() - 2 * PATH_ENDS;
        format!(
            "{}…({elided} more levels)…{}",
            segments[..PATH_ENDS].concat(),
            segments[segments.len() - PATH_ENDS..].concat()
        )
    }
}

/// What is wrong with a value that cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It has no counterpart on the other side, or is malformed (the text says how).
    Invalid(String),
    /// It refers back to the value `length` levels above it.
    Cycle {
        /// Levels between the value and the reference back to it.
        length: usize,
    },
    /// It is nested deeper than [`MAX_DEPTH`] levels.
    Depth,
}

fn conversion_message(path: &ValuePath, problem: &Problem) -> String {
    let at = path.shown(0);
    match problem {
        Problem::Invalid(reason) => format!("cannot convert {at}: {reason}"),
        Problem::Cycle { length } => {
            let target = path.shown(*length);
            let target = if target.is_empty() {
                "the value itself".to_string()
            } else {
                target
            };
            format!(
                "cannot convert {at}: cyclic data, it refers back to {target} (a cycle cannot be converted)"
            )
        }
        Problem::Depth => {
            format!("cannot convert {at}: nested deeper than {MAX_DEPTH} levels")
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
    fn long_paths_and_keys_are_elided() {
        let mut e = BridgeError::too_deep();
        for i in 0..20 {
            e = e.at_index(i);
        }
        let e = e
            .at_key("a key far longer than anyone would want to read")
            .rooted("args");
        assert_eq!(
            e.to_string(),
            format!(
                "cannot convert args[\"a key far longer than an\"…][19][18]…(14 more levels)…[3][2][1][0]: \
                 nested deeper than {MAX_DEPTH} levels"
            )
        );
        assert_eq!(e.shape_problem(), Some("depth"));
    }

    #[test]
    fn cycles_name_the_reference_and_what_it_points_back_to() {
        // Entered at position 5, the container at 1 was met again at 3: the
        // two segments below 3 are dropped, and 3 is two levels below 1.
        let e = BridgeError::cycle(1, 3, 5)
            .at_index(9)
            .at_index(8)
            .at_key("x")
            .at_index(0)
            .at_key("items")
            .rooted("args");
        assert_eq!(
            e.to_string(),
            "cannot convert args.items[0].x: cyclic data, it refers back to args.items \
             (a cycle cannot be converted)"
        );
        assert_eq!(e.shape_problem(), Some("cycle"));
        assert_eq!(BridgeError::conversion("no").shape_problem(), None);
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
