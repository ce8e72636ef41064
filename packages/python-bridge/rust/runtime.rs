//! The one interpreter of the process and the threads that run Python.
//!
//! [`start`] boots both, once, behind a `OnceLock`: promote libpython to the
//! global symbol scope, start a named thread, initialize the interpreter on
//! it (so it is Python's main thread), point `sys.path` at the venv and the
//! extra paths, then serve jobs; then start the extra lanes (more Python
//! threads, [`StartOptions::threads`]). Each thread keeps one thread state for
//! its whole life and releases the GIL only while it waits for the next job,
//! so a hand-off costs a channel wake-up rather than a thread-state creation,
//! and Python threads the user starts run while it is idle. Jobs go to lane 0
//! (the main thread) unless the caller picks a lane ([`submit_on`]; a handle's
//! [`Lane`] keeps one object's calls on one thread, in order). Every other
//! thread (the JS main thread, worker threads) only sends jobs; none takes
//! the GIL.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::embed;
use crate::error::BridgeError;
use crate::ops;

/// Name of the Python thread (visible in `top -H`, gdb, `threading`).
pub const THREAD_NAME: &str = "remotemedia-python";

/// Stack of the Python thread. Python recursion and C extensions use the
/// native stack; a main thread usually gets 8 MiB, Rust threads 2 MiB.
const THREAD_STACK_BYTES: usize = 32 * 1024 * 1024;

/// What to start Python with.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// A virtual environment directory (holding `pyvenv.cfg`).
    pub venv: Option<PathBuf>,
    /// Directories to put in front of `sys.path`, in order.
    pub paths: Vec<PathBuf>,
    /// How many Python threads serve calls (lanes), at boot only. Default:
    /// the CPU count, at most [`MAX_THREADS`].
    pub threads: Option<usize>,
}

/// The most Python threads [`StartOptions::threads`] gives by default.
pub const MAX_THREADS: usize = 8;

/// What the running interpreter is.
#[derive(Debug, Clone)]
pub struct RuntimeInfo {
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub version: String,
    /// `sys.executable`.
    pub executable: String,
    /// `sys.prefix` (the venv when one is used).
    pub prefix: String,
    /// `sys.base_prefix` (the installation libpython belongs to).
    pub base_prefix: String,
    /// The libpython file the process uses.
    pub libpython: String,
    /// The venv directory, if any.
    pub venv: Option<String>,
    /// The venv's site-packages directory, if any.
    pub site_packages: Option<String>,
}

/// A unit of work for the Python thread.
pub type Task = Box<dyn for<'py> FnOnce(Python<'py>) + Send>;

enum Job {
    Run(Task),
    Drop(Box<dyn Send>),
}

struct Runtime {
    /// One queue per lane; lane 0 is Python's main thread.
    lanes: Vec<Sender<Job>>,
    /// The service thread's queue: short jobs that must run even while every
    /// lane is busy (settling Python's calls into JS, see [`submit_service`]).
    service: Sender<Job>,
    /// Live [`Lane`]s per lane, to place the next one on the least used.
    assigned: Vec<AtomicUsize>,
    info: RuntimeInfo,
}

static RUNTIME: OnceLock<Result<Runtime, BridgeError>> = OnceLock::new();

thread_local! {
    static ON_PYTHON_THREAD: Cell<bool> = const { Cell::new(false) };
    /// A lane thread's own queue and index, kept here (not on `serve`'s
    /// stack) while a job runs, so the job can serve the lane in turn while
    /// it waits ([`pump_until`]).
    static LANE: RefCell<Option<(usize, Receiver<Job>)>> = const { RefCell::new(None) };
}

/// Starts Python (once per process) or, when it runs already, checks that
/// the options agree with it and adds the extra paths.
pub fn start(options: &StartOptions) -> Result<RuntimeInfo, BridgeError> {
    if RUNTIME.get().is_none() {
        // A bad venv must not poison the OnceLock: nothing has started yet,
        // so a later call with a good one may still boot.
        if let Some(venv) = &options.venv {
            check_venv(venv, &embed::linked_version())?;
        }
    }
    let mut booted_now = false;
    let runtime = RUNTIME
        .get_or_init(|| {
            booted_now = true;
            boot(options)
        })
        .as_ref()
        .map_err(Clone::clone)?;
    if !booted_now {
        reconfigure(runtime, options)?;
    }
    Ok(runtime.info.clone())
}

/// The running interpreter, if started.
pub fn info() -> Option<RuntimeInfo> {
    match RUNTIME.get() {
        Some(Ok(runtime)) => Some(runtime.info.clone()),
        _ => None,
    }
}

/// True on the Python thread.
pub fn on_python_thread() -> bool {
    ON_PYTHON_THREAD.with(Cell::get)
}

/// Queues `task` to run on the Python main thread (lane 0; FIFO with every
/// other job there).
pub fn submit(task: Task) -> Result<(), BridgeError> {
    submit_on(0, task)
}

/// Queues `task` on lane `lane` (FIFO with that lane's other jobs; lane 0
/// when there is no such lane).
pub fn submit_on(lane: usize, task: Task) -> Result<(), BridgeError> {
    let runtime = running()?;
    runtime
        .lanes
        .get(lane)
        .unwrap_or(&runtime.lanes[0])
        .send(Job::Run(task))
        .map_err(|_| BridgeError::ThreadStopped)
}

/// Queues `task` on the service thread: a Python thread of its own that
/// only runs short jobs (never user code that blocks), so they run even
/// while every lane is busy or waiting.
pub fn submit_service(task: Task) -> Result<(), BridgeError> {
    running()?
        .service
        .send(Job::Run(task))
        .map_err(|_| BridgeError::ThreadStopped)
}

/// The lane the current thread serves, if it is a lane thread.
pub fn current_lane() -> Option<usize> {
    LANE.with(|lane| {
        lane.try_borrow()
            .ok()
            .and_then(|l| l.as_ref().map(|(i, _)| *i))
    })
}

/// Serves this lane's queue until `done()` holds (checked before each job):
/// a job that waits for something a later job of its own lane produces (a
/// call into JS that calls back into Python on this thread) runs them here
/// instead of deadlocking. Whoever makes `done()` true must then queue a job
/// on this lane ([`submit_on`]) to wake it. Returns false, doing nothing,
/// when the current thread is not a lane thread or already serves below.
pub fn pump_until(py: Python<'_>, done: impl Fn() -> bool) -> bool {
    let Some((index, mut jobs)) = LANE.with(|lane| lane.borrow_mut().take()) else {
        return false;
    };
    while !done() {
        let (back, next) = py.detach(move || {
            let next = jobs.recv();
            (jobs, next)
        });
        jobs = back;
        let Ok(job) = next else { break };
        // Put the queue back while the job runs, so it may pump in turn.
        LANE.with(|lane| *lane.borrow_mut() = Some((index, jobs)));
        run_job(py, job);
        match LANE.with(|lane| lane.borrow_mut().take()) {
            Some((_, j)) => jobs = j,
            None => return true,
        }
    }
    LANE.with(|lane| *lane.borrow_mut() = Some((index, jobs)));
    true
}

/// How many Python threads serve jobs (0 before start).
pub fn lanes() -> usize {
    running().map_or(0, |r| r.lanes.len())
}

/// A lane held by one object's handle: its calls all go to that lane, so
/// they run in order on one thread. Placed on the lane holding the fewest
/// live `Lane`s; released when dropped.
#[derive(Debug)]
pub struct Lane(usize);

impl Lane {
    /// Takes the least used lane (lane 0 before start).
    pub fn assign() -> Lane {
        let Ok(runtime) = running() else {
            return Lane(0);
        };
        let (index, count) = runtime
            .assigned
            .iter()
            .enumerate()
            .min_by_key(|(i, n)| (n.load(Ordering::Relaxed), *i))
            .expect("at least one lane");
        // Relaxed: a count only balances placement; a race costs balance, not correctness.
        count.fetch_add(1, Ordering::Relaxed);
        Lane(index)
    }

    /// The lane's index, for [`submit_on`].
    pub fn index(&self) -> usize {
        self.0
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        if let Ok(runtime) = running() {
            runtime.assigned[self.0].fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Runs `f` on the Python thread and waits for its result (inline when
/// called on the Python thread). For start-up and tests; the JS edge never
/// blocks on Python.
pub fn run_blocking<R, F>(f: F) -> Result<R, BridgeError>
where
    R: Send + 'static,
    F: for<'py> FnOnce(Python<'py>) -> R + Send + 'static,
{
    if on_python_thread() {
        // Jobs only run while the Python thread is attached, so this attach
        // is a re-entrant no-op.
        return Ok(Python::attach(f));
    }
    let (tx, rx) = mpsc::sync_channel(1);
    submit(Box::new(move |py| {
        let _ = tx.send(f(py));
    }))?;
    rx.recv().map_err(|_| BridgeError::ThreadStopped)
}

/// Sends `value` to the Python thread to be dropped there. Used for values
/// holding Python references that die on other threads. If the Python thread
/// is gone (process exit) the value is leaked: freeing it would need the GIL.
pub fn drop_on_python_thread(value: Box<dyn Send>) {
    let leftover = match RUNTIME.get() {
        Some(Ok(runtime)) => match runtime.lanes[0].send(Job::Drop(value)) {
            Ok(()) => return,
            Err(mpsc::SendError(job)) => job,
        },
        _ => Job::Drop(value),
    };
    std::mem::forget(leftover);
}

fn running() -> Result<&'static Runtime, BridgeError> {
    match RUNTIME.get() {
        Some(Ok(runtime)) => Ok(runtime),
        Some(Err(e)) => Err(e.clone()),
        None => Err(BridgeError::NotStarted),
    }
}

/// Boots the interpreter and its thread; runs once per process.
fn boot(options: &StartOptions) -> Result<Runtime, BridgeError> {
    // 1. Which libpython the loader mapped (the rpath chose it), and promote
    //    it to RTLD_GLOBAL before anything imports a C extension.
    let libpython = embed::libpython_path()?;
    embed::promote_to_global(&libpython)?;

    // 2. Everything the interpreter needs is decided here, before it exists.
    let version = embed::linked_version();
    let venv = options
        .venv
        .as_deref()
        .map(|v| check_venv(v, &version))
        .transpose()?;
    let home = embed::install_prefix(&libpython, &version);
    let executable = match &venv {
        Some(v) => Some(v.python.clone()),
        None => home
            .as_ref()
            .map(|h| h.join("bin").join(format!("python{version}")))
            .filter(|p| p.exists()),
    };
    let config = embed::InterpreterConfig { home, executable };

    // 3. One named thread initializes Python and then serves jobs forever.
    let (ready_tx, ready_rx) = mpsc::sync_channel(1);
    let (jobs_tx, jobs_rx) = mpsc::channel();
    let paths = options.paths.clone();
    let libpython_name = libpython.display().to_string();
    thread::Builder::new()
        .name(THREAD_NAME.into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || python_thread(config, venv, paths, libpython_name, ready_tx, jobs_rx))
        .map_err(|e| BridgeError::Initialize(format!("cannot spawn the Python thread: {e}")))?;
    let info = ready_rx.recv().map_err(|_| BridgeError::ThreadStopped)??;

    // 4. The extra lanes, now that the interpreter exists.
    let threads = options
        .threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS)))
        .max(1);
    let mut lanes = vec![jobs_tx];
    for index in 1..threads {
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name(format!("{THREAD_NAME}-{index}"))
            .stack_size(THREAD_STACK_BYTES)
            .spawn(move || {
                ON_PYTHON_THREAD.with(|c| c.set(true));
                // A thread state made here and kept for the thread's life.
                Python::attach(|py| serve(py, index, rx));
            })
            .map_err(|e| BridgeError::Initialize(format!("cannot spawn a Python thread: {e}")))?;
        lanes.push(tx);
    }
    let (service, service_rx) = mpsc::channel();
    thread::Builder::new()
        .name(format!("{THREAD_NAME}-service"))
        .spawn(move || {
            ON_PYTHON_THREAD.with(|c| c.set(true));
            // Not a lane: its jobs never pump (`LANE` stays empty here).
            Python::attach(|py| {
                let mut jobs = service_rx;
                loop {
                    let (back, next) = py.detach(move || {
                        let next = jobs.recv();
                        (jobs, next)
                    });
                    jobs = back;
                    let Ok(job) = next else { break };
                    run_job(py, job);
                }
            });
        })
        .map_err(|e| BridgeError::Initialize(format!("cannot spawn the service thread: {e}")))?;
    Ok(Runtime {
        assigned: lanes.iter().map(|_| AtomicUsize::new(0)).collect(),
        lanes,
        service,
        info,
    })
}

fn python_thread(
    config: embed::InterpreterConfig,
    venv: Option<Venv>,
    paths: Vec<PathBuf>,
    libpython: String,
    ready: mpsc::SyncSender<Result<RuntimeInfo, BridgeError>>,
    jobs: Receiver<Job>,
) {
    ON_PYTHON_THREAD.with(|c| c.set(true));
    if let Err(e) = embed::initialize(&config) {
        let _ = ready.send(Err(e));
        return;
    }
    // Py_InitializeFromConfig returned with this thread holding the GIL in
    // the main thread state. Release it; `Python::attach` below re-takes the
    // very same thread state (it is bound to this thread), which is then kept
    // for the thread's whole life.
    // SAFETY: this thread holds the GIL (just initialized) and the saved
    // thread state is restored by the PyGILState_Ensure in Python::attach.
    unsafe { pyo3::ffi::PyEval_SaveThread() };

    Python::attach(|py| {
        let info = match configure(py, venv.as_ref(), &paths, libpython) {
            Ok(info) => info,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(info));
        drop(ready);
        serve(py, 0, jobs);
    });
}

/// The job loop of lane `index`: wait without the GIL, run with it. The
/// queue stays in [`LANE`] while a job runs (see [`pump_until`]).
fn serve(py: Python<'_>, index: usize, jobs: Receiver<Job>) {
    LANE.with(|lane| *lane.borrow_mut() = Some((index, jobs)));
    loop {
        let Some((_, mut jobs)) = LANE.with(|lane| lane.borrow_mut().take()) else {
            return;
        };
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Disconnected) => return,
            Err(mpsc::TryRecvError::Empty) => {
                // The receiver moves into the detached closure and back out
                // (it is Send, but not Sync, so it cannot be borrowed there).
                let (back, next) = py.detach(move || {
                    let next = wait(&jobs);
                    (jobs, next)
                });
                jobs = back;
                match next {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        LANE.with(|lane| *lane.borrow_mut() = Some((index, jobs)));
        run_job(py, job);
    }
}

/// Runs one job; a panicking task is reported and the thread keeps serving.
fn run_job(py: Python<'_>, job: Job) {
    match job {
        Job::Run(task) => {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(py)));
            if let Err(panic) = outcome {
                // The task's reply was dropped while unwinding, which
                // rejects the caller; the thread keeps serving.
                eprintln!(
                    "remotemedia python-bridge: a job panicked: {}",
                    ops::panic_message(&*panic)
                );
            }
        }
        Job::Drop(value) => drop(value),
    }
}

/// How long the idle Python thread polls for the next job before it parks.
/// Calls tend to come in bursts (a pipeline, an `await` loop); polling
/// briefly saves a kernel wake-up on each hand-off (measured: ~80 µs -> ~15
/// µs per sequential call on a 2-core VM). Skipped on a single CPU, where
/// polling would only delay the JS thread.
const SPIN: std::time::Duration = std::time::Duration::from_micros(50);

/// Waits for a job (without the GIL): brief polling, then a blocking wait.
fn wait(jobs: &Receiver<Job>) -> Result<Job, mpsc::RecvError> {
    static MULTICORE: OnceLock<bool> = OnceLock::new();
    if !*MULTICORE.get_or_init(|| thread::available_parallelism().is_ok_and(|n| n.get() > 1)) {
        return jobs.recv();
    }
    let start = std::time::Instant::now();
    loop {
        for _ in 0..64 {
            match jobs.try_recv() {
                Ok(job) => return Ok(job),
                Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
                Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
            }
        }
        if start.elapsed() >= SPIN {
            return jobs.recv();
        }
    }
}

/// A venv checked against the linked interpreter.
struct Venv {
    dir: PathBuf,
    python: PathBuf,
    site_packages: PathBuf,
}

fn check_venv(dir: &Path, version: &str) -> Result<Venv, BridgeError> {
    let err = |reason: String| BridgeError::Venv {
        venv: dir.display().to_string(),
        reason,
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| err(format!("not a readable directory ({e})")))?;
    if !dir.join("pyvenv.cfg").is_file() {
        return Err(err("no pyvenv.cfg: not a virtual environment".into()));
    }
    let python = dir.join("bin").join("python");
    if !python.exists() {
        return Err(err("no bin/python".into()));
    }
    let site_packages = dir
        .join("lib")
        .join(format!("python{version}"))
        .join("site-packages");
    if !site_packages.is_dir() {
        let cfg = std::fs::read_to_string(dir.join("pyvenv.cfg")).unwrap_or_default();
        let made_with = cfg
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "version" || k.trim() == "version_info").then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| "another Python".into());
        return Err(err(format!(
            "no lib/python{version}/site-packages: the venv was made with Python {made_with}, \
             but this addon embeds Python {version}; recreate the venv with that interpreter"
        )));
    }
    Ok(Venv {
        dir,
        python,
        site_packages,
    })
}

/// Python-side set-up after initialization: the venv's site-packages (when
/// `site` did not already add it from `pyvenv.cfg`) and the extra paths.
const CONFIGURE_PY: &std::ffi::CStr = cr#"
import os, platform, site, sys

def _remotemedia_configure(site_packages, paths):
    if site_packages is not None:
        on_path = {os.path.realpath(p) for p in sys.path if p}
        if os.path.realpath(site_packages) not in on_path:
            # addsitedir also runs the .pth files (editable installs)
            site.addsitedir(site_packages)
    for p in reversed(paths):
        if p not in sys.path:
            sys.path.insert(0, p)
    return [platform.python_version(), sys.executable, sys.prefix, sys.base_prefix]
"#;

fn configure(
    py: Python<'_>,
    venv: Option<&Venv>,
    paths: &[PathBuf],
    libpython: String,
) -> Result<RuntimeInfo, BridgeError> {
    let site_packages = venv.map(|v| v.site_packages.display().to_string());
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let report = (|| -> PyResult<Vec<String>> {
        let scope = PyDict::new(py);
        py.run(CONFIGURE_PY, Some(&scope), None)?;
        let configure = scope
            .get_item("_remotemedia_configure")?
            .expect("defined by CONFIGURE_PY");
        configure
            .call1((site_packages.clone(), PyList::new(py, &paths)?))?
            .extract::<Vec<String>>()
            .and_then(|report| crate::jscall::install(py).map(|()| report))
    })()
    .map_err(|e| BridgeError::Initialize(ops::exception(py, &e).to_string()))?;
    let [version, executable, prefix, base_prefix]: [String; 4] = report
        .try_into()
        .map_err(|_| BridgeError::Initialize("unexpected configure report".into()))?;
    Ok(RuntimeInfo {
        version,
        executable,
        prefix,
        base_prefix,
        libpython,
        venv: venv.map(|v| v.dir.display().to_string()),
        site_packages,
    })
}

fn reconfigure(runtime: &Runtime, options: &StartOptions) -> Result<(), BridgeError> {
    if let Some(requested) = &options.venv {
        let requested_dir = requested
            .canonicalize()
            .unwrap_or_else(|_| requested.clone());
        let running = runtime.info.venv.as_deref().map(PathBuf::from);
        if running.as_deref() != Some(requested_dir.as_path()) {
            return Err(BridgeError::VenvConflict {
                running: match &runtime.info.venv {
                    Some(v) => format!("venv {v}"),
                    None => "no venv".into(),
                },
                requested: requested.display().to_string(),
            });
        }
    }
    if options.paths.is_empty() {
        return Ok(());
    }
    let paths: Vec<String> = options
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    run_blocking(move |py| {
        (|| -> PyResult<()> {
            let sys_path = py.import("sys")?.getattr("path")?.cast_into::<PyList>()?;
            for p in paths.iter().rev() {
                if !sys_path.contains(p)? {
                    sys_path.insert(0, p)?;
                }
            }
            Ok(())
        })()
        .map_err(|e| BridgeError::Initialize(ops::exception(py, &e).to_string()))
    })?
}
