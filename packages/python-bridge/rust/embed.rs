//! The raw, once-per-process steps of embedding CPython in a process that
//! did not start as Python: finding libpython, promoting it to the global
//! symbol scope, and initializing the interpreter with an explicit `PyConfig`.
//! `runtime::boot` calls these in order; nothing else does.

use std::ffi::{CStr, CString, c_void};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use pyo3::ffi;

use crate::error::BridgeError;

/// The shared library that holds the interpreter this addon is linked to.
///
/// `dladdr` on one of its functions names the file the dynamic loader really
/// mapped, so this is right even when several libpython3.x exist (the rpath
/// chooses; this reports).
pub fn libpython_path() -> Result<PathBuf, BridgeError> {
    let mut info = MaybeUninit::<libc::Dl_info>::zeroed();
    let symbol = ffi::Py_Initialize as *const c_void;
    // SAFETY: `symbol` is the address of a function in a mapped object and
    // `info` is valid for writes of one `Dl_info`.
    let found = unsafe { libc::dladdr(symbol, info.as_mut_ptr()) };
    // SAFETY: zero-initialized, and filled by dladdr when it succeeded.
    let info = unsafe { info.assume_init() };
    if found == 0 || info.dli_fname.is_null() {
        return Err(BridgeError::LibpythonNotFound(
            "dladdr(Py_Initialize) named no shared object".into(),
        ));
    }
    // SAFETY: dladdr returned a NUL-terminated path owned by the loader.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(name.to_bytes()));
    let is_libpython = path
        .file_name()
        .is_some_and(|f| f.to_string_lossy().starts_with("libpython"));
    if !is_libpython {
        return Err(BridgeError::LibpythonNotFound(format!(
            "Py_Initialize lives in {} (a statically linked interpreter); the bridge needs a shared libpython",
            path.display()
        )));
    }
    Ok(path)
}

/// Re-opens the already loaded libpython with `RTLD_GLOBAL`.
///
/// Node loads addons `RTLD_LOCAL`, so libpython (a dependency of the addon)
/// is invisible to libraries opened later. Python C extensions (`math`,
/// numpy) do not link libpython themselves; they expect its symbols in the
/// global scope and fail with "undefined symbol" otherwise. `RTLD_NOLOAD`
/// makes this a promotion of the mapped copy, never a second load. Only
/// libpython is promoted: making the addon itself global would let its
/// symbols shadow other addons'. The handle is deliberately never closed.
pub fn promote_to_global(libpython: &Path) -> Result<(), BridgeError> {
    let c_path = CString::new(libpython.as_os_str().as_bytes()).map_err(|_| {
        BridgeError::LibpythonNotFound(format!("{} contains a NUL byte", libpython.display()))
    })?;
    // SAFETY: clearing the thread's dlerror state has no preconditions.
    unsafe { libc::dlerror() };
    // SAFETY: `c_path` is NUL-terminated; RTLD_NOLOAD only changes the flags
    // of an object that is already loaded (it never runs initializers again).
    let handle = unsafe {
        libc::dlopen(
            c_path.as_ptr(),
            libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_GLOBAL,
        )
    };
    if handle.is_null() {
        // SAFETY: dlerror returns NULL or a NUL-terminated message.
        let reason = unsafe {
            let err = libc::dlerror();
            if err.is_null() {
                "not loaded in this process".to_string()
            } else {
                CStr::from_ptr(err).to_string_lossy().into_owned()
            }
        };
        return Err(BridgeError::PromoteLibpython {
            path: libpython.display().to_string(),
            reason,
        });
    }
    Ok(())
}

/// `major.minor` of the linked interpreter (`Py_GetVersion` is callable
/// before initialization).
pub fn linked_version() -> String {
    // SAFETY: Py_GetVersion returns a static NUL-terminated string and needs
    // no initialized interpreter.
    let full = unsafe { CStr::from_ptr(ffi::Py_GetVersion()) }.to_string_lossy();
    let mut parts = full.split(|c: char| c == '.' || c.is_whitespace());
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => full.into_owned(),
    }
}

/// The installation prefix that `libpython` belongs to
/// (`<prefix>/lib/libpython3.X.so` -> `<prefix>`), when its standard library
/// is where that layout puts it.
pub fn install_prefix(libpython: &Path, version: &str) -> Option<PathBuf> {
    let prefix = libpython.parent()?.parent()?;
    let landmark = prefix
        .join("lib")
        .join(format!("python{version}"))
        .join("os.py");
    landmark.is_file().then(|| prefix.to_path_buf())
}

/// How to initialize the interpreter.
pub struct InterpreterConfig {
    /// `PyConfig.home`: where the standard library is. Set to the prefix of
    /// the libpython in use, so the stdlib always matches the library (the
    /// default search starts from a `python3` on PATH, which may be another
    /// installation). `None` leaves Python's own search (and honours
    /// PYTHONHOME, which is left alone when set).
    pub home: Option<PathBuf>,
    /// `PyConfig.executable` (`sys.executable`): the venv's `bin/python`
    /// when there is one. `site` then finds the venv's `pyvenv.cfg` next to
    /// it and uses the venv's site-packages exactly as the venv's own python
    /// would; subprocesses and multiprocessing start that interpreter.
    pub executable: Option<PathBuf>,
}

/// Initializes the interpreter on the calling thread, which becomes
/// Python's main thread, and returns with that thread holding the GIL.
///
/// Signal handlers are not installed: Node owns SIGINT and friends.
pub fn initialize(config: &InterpreterConfig) -> Result<(), BridgeError> {
    // SAFETY: Py_IsInitialized has no preconditions.
    if unsafe { ffi::Py_IsInitialized() } != 0 {
        return Err(BridgeError::Initialize(
            "another component of this process already initialized Python".into(),
        ));
    }
    let mut raw = MaybeUninit::<ffi::PyConfig>::zeroed();
    // SAFETY: `raw` is valid for writes of one PyConfig; InitPythonConfig
    // fills every field.
    unsafe { ffi::PyConfig_InitPythonConfig(raw.as_mut_ptr()) };
    // SAFETY: initialized just above.
    let mut pyconfig = unsafe { raw.assume_init() };
    pyconfig.install_signal_handlers = 0;
    pyconfig.parse_argv = 0;

    let cfg: *mut ffi::PyConfig = &mut pyconfig;
    // SAFETY: `cfg` points to the live, initialized config above; taking
    // field addresses reads nothing.
    let (home_field, executable_field) =
        unsafe { (&raw mut (*cfg).home, &raw mut (*cfg).executable) };
    let result = (|| {
        if let Some(home) = &config.home {
            if std::env::var_os("PYTHONHOME").is_none() {
                set_string(cfg, home_field, home)?;
            }
        }
        if let Some(executable) = &config.executable {
            set_string(cfg, executable_field, executable)?;
        }
        // SAFETY: `cfg` was initialized by PyConfig_InitPythonConfig and only
        // changed through the PyConfig API or plain int fields.
        let status = unsafe { ffi::Py_InitializeFromConfig(cfg) };
        check(status)
    })();
    // SAFETY: frees the strings the config owns; it is not used afterwards.
    unsafe { ffi::PyConfig_Clear(cfg) };
    result
}

fn set_string(
    config: *mut ffi::PyConfig,
    field: *mut *mut libc::wchar_t,
    value: &Path,
) -> Result<(), BridgeError> {
    let c_value = CString::new(value.as_os_str().as_bytes())
        .map_err(|_| BridgeError::Initialize(format!("{} contains a NUL byte", value.display())))?;
    // SAFETY: `field` is a string field of `config`, an initialized PyConfig;
    // the value is NUL-terminated and copied by Python.
    let status = unsafe { ffi::PyConfig_SetBytesString(config, field, c_value.as_ptr()) };
    check(status)
}

fn check(status: ffi::PyStatus) -> Result<(), BridgeError> {
    // SAFETY: PyStatus_Exception only inspects the struct.
    if unsafe { ffi::PyStatus_Exception(status) } == 0 {
        return Ok(());
    }
    let text = |p: *const std::ffi::c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: PyStatus strings are static NUL-terminated literals.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    let (func, msg) = (text(status.func), text(status.err_msg));
    Err(BridgeError::Initialize(if func.is_empty() {
        msg
    } else {
        format!("{func}: {msg}")
    }))
}
