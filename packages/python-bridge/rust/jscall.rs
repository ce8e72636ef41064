//! Python calling into JS: `_remotemedia_js`, the module Python code uses to
//! call a function the JS side serves ([`serve`]), awaited on an asyncio
//! loop or waited for on the calling thread.
//!
//! A call is read into a [`Value`] on the calling Python thread, posted to
//! the serving env's JS thread ([`JsSink`]) and settled from there
//! ([`settle`]) without the GIL: an awaited call's future is resolved on the
//! service thread (which never runs blocking user code, so it is free even
//! when every lane is busy); a waiting thread is woken directly. A lane
//! thread that waits serves its own queue meanwhile
//! ([`runtime::pump_until`]), so a JS function that calls back into Python
//! on that lane cannot deadlock it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyModule, PyTuple};

use crate::convert;
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::runtime;
use crate::value::Value;

/// The name Python imports the module under.
pub const MODULE: &str = "_remotemedia_js";

/// A call from Python, for the JS side to run.
pub struct JsCall {
    /// Identifies the call in [`settle`].
    pub id: u64,
    /// What to run (the served function's name).
    pub method: String,
    /// Its argument.
    pub args: Value,
}

/// How a JS function failed, as Python will see it.
pub struct JsFailure {
    /// The JS error's `name` (e.g. `NodeProcessError`).
    pub name: String,
    /// Its message (with its causes).
    pub message: String,
    /// Its JS stack, if any.
    pub stack: Option<String>,
    /// A Python exception the failure carries (re-raised as is).
    pub exception: Option<PyHandle>,
    /// Anything else the JS side attached (a plain object), for the
    /// exception's `details`.
    pub details: Value,
}

/// Where calls go: the JS thread of the env serving them.
pub trait JsSink: Send + Sync {
    /// Queues the call (never blocks). A call the sink cannot deliver must
    /// be settled with an error by the sink.
    fn post(&self, call: JsCall);
}

enum Completion {
    /// Resolve an asyncio future (on its loop's thread).
    Future(PyHandle),
    /// Wake a waiting thread.
    Wait(Arc<Slot>),
}

/// A waiting thread's result slot.
struct Slot {
    result: Mutex<Option<Result<Value, JsFailure>>>,
    ready: Condvar,
    /// The lane the waiter serves meanwhile, woken by a no-op job there.
    lane: Option<usize>,
}

fn sink() -> &'static Mutex<Option<Arc<dyn JsSink>>> {
    static SINK: OnceLock<Mutex<Option<Arc<dyn JsSink>>>> = OnceLock::new();
    SINK.get_or_init(|| Mutex::new(None))
}

fn pending() -> &'static Mutex<HashMap<u64, Completion>> {
    static PENDING: OnceLock<Mutex<HashMap<u64, Completion>>> = OnceLock::new();
    PENDING.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes `sink` the target of Python's calls (`None`: no JS serves them;
/// calls then fail at once). Calls in flight keep their old target.
pub fn serve(sink: Option<Arc<dyn JsSink>>) {
    *lock(self::sink()) = sink;
}

/// Ends call `id` with its outcome (any thread, no GIL needed). Unknown ids
/// (settled already) are ignored.
pub fn settle(id: u64, result: Result<Value, JsFailure>) {
    let Some(completion) = lock(pending()).remove(&id) else {
        return;
    };
    match completion {
        Completion::Wait(slot) => {
            *lock(&slot.result) = Some(result);
            slot.ready.notify_all();
            if let Some(lane) = slot.lane {
                // Wakes the waiter, which sleeps on its lane's queue.
                let _ = runtime::submit_on(lane, Box::new(|_| {}));
            }
        }
        Completion::Future(future) => {
            let resolve = move |py: Python<'_>| {
                let future = future.bind(py);
                let outcome = (|| -> PyResult<()> {
                    let (ok, value) = match result {
                        Ok(value) => (true, convert::to_python(py, value).map_err(py_err)?),
                        Err(failure) => (false, exception(py, failure)?),
                    };
                    let deliver = helpers(py)?.getattr("deliver")?;
                    future
                        .call_method0("get_loop")?
                        .call_method1("call_soon_threadsafe", (deliver, future, ok, value))?;
                    Ok(())
                })();
                if let Err(e) = outcome {
                    // A closed loop has no one left to tell.
                    e.print(py);
                }
            };
            if runtime::submit_service(Box::new(resolve)).is_err() {
                // The interpreter is gone: so is the awaiting coroutine.
            }
        }
    }
}

/// The exception Python sees for a failure: the one it carries, else a
/// `remotemedia.errors.js_failure` builds from it (a `RuntimeError` without
/// the package).
fn exception<'py>(py: Python<'py>, failure: JsFailure) -> PyResult<Bound<'py, PyAny>> {
    if let Some(exception) = &failure.exception {
        return Ok(exception.bind(py).clone());
    }
    let details = convert::to_python(py, failure.details).map_err(py_err)?;
    helpers(py)?
        .getattr("js_error")?
        .call1((failure.name, failure.message, failure.stack, details))
}

const HELPERS: &std::ffi::CStr = cr#"
def deliver(future, ok, value):
    if future.done():
        return  # cancelled by its awaiter: the result has no one to go to
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def js_error(name, message, stack, details):
    try:
        from remotemedia.errors import js_failure
    except ImportError:
        return RuntimeError(f"{name}: {message}")
    return js_failure(name, message, stack, details)
"#;

fn helpers(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    match py.import("_remotemedia_js_helpers") {
        Ok(module) => Ok(module),
        Err(_) => {
            let module =
                PyModule::from_code(py, HELPERS, c"<remotemedia-js>", c"_remotemedia_js_helpers")?;
            py.import("sys")?
                .getattr("modules")?
                .set_item("_remotemedia_js_helpers", &module)?;
            Ok(module)
        }
    }
}

/// A bridge failure as a Python exception: `TypeError` for a value that
/// cannot cross, `RuntimeError` otherwise.
fn py_err(e: BridgeError) -> PyErr {
    match e {
        BridgeError::Conversion { .. } => pyo3::exceptions::PyTypeError::new_err(e.to_string()),
        e => pyo3::exceptions::PyRuntimeError::new_err(e.to_string()),
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn no_js() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(
        "no JavaScript runtime serves calls: this interpreter is not running inside remotemedia's TypeScript runtime",
    )
}

/// Registers the call and posts it; the completion is `completion(id)`.
fn post(method: String, args: Value, completion: Completion) -> PyResult<u64> {
    let Some(sink) = lock(sink()).clone() else {
        return Err(no_js());
    };
    let id = next_id();
    lock(pending()).insert(id, completion);
    sink.post(JsCall { id, method, args });
    Ok(id)
}

/// `call_async(method, args, future)`: posts the call; `future` (an asyncio
/// future) gets its result or exception on its own loop.
fn call_async(args: &Bound<'_, PyTuple>) -> PyResult<()> {
    let (method, value, future): (String, Bound<'_, PyAny>, Bound<'_, PyAny>) = args.extract()?;
    let value = convert::from_python(&value).map_err(py_err)?;
    post(method, value, Completion::Future(PyHandle::new(&future)))?;
    Ok(())
}

/// `call(method, args)`: posts the call and waits for its result here. A
/// lane thread serves its own queue while it waits; other threads wait
/// without the GIL.
fn call_blocking<'py>(args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    let py = args.py();
    let (method, value): (String, Bound<'_, PyAny>) = args.extract()?;
    let value = convert::from_python(&value).map_err(py_err)?;
    let slot = Arc::new(Slot {
        result: Mutex::new(None),
        ready: Condvar::new(),
        lane: runtime::current_lane(),
    });
    post(method, value, Completion::Wait(slot.clone()))?;
    let filled = || lock(&slot.result).is_some();
    if !(slot.lane.is_some() && pump_outside_loop(py, filled)?) {
        py.detach(|| {
            let mut result = lock(&slot.result);
            while result.is_none() {
                result = slot.ready.wait(result).unwrap_or_else(|p| p.into_inner());
            }
        });
    }
    let result = lock(&slot.result).take();
    match result {
        Some(Ok(value)) => convert::to_python(py, value).map_err(py_err),
        Some(Err(failure)) => Err(PyErr::from_value(exception(py, failure)?)),
        None => Err(py_err(BridgeError::ThreadStopped)),
    }
}

/// [`runtime::pump_until`] with no asyncio loop marked running on this
/// thread meanwhile: the caller may be inside one (`asyncio.run` in a sync
/// node), and the jobs served here are other callers' code, free to start
/// loops of their own.
fn pump_outside_loop(py: Python<'_>, done: impl Fn() -> bool) -> PyResult<bool> {
    let events = py.import("asyncio.events")?;
    let running = events.call_method0("_get_running_loop")?;
    events.call_method1("_set_running_loop", (py.None(),))?;
    let pumped = runtime::pump_until(py, done);
    events.call_method1("_set_running_loop", (running,))?;
    Ok(pumped)
}

/// `serving()`: True when a JS env serves calls.
fn serving() -> bool {
    lock(sink()).is_some()
}

/// Adds `_remotemedia_js` to `sys.modules` (at start-up, on the Python thread).
pub fn install(py: Python<'_>) -> PyResult<()> {
    let module = PyModule::new(py, MODULE)?;
    module.add(
        "call_async",
        PyCFunction::new_closure(
            py,
            Some(c"call_async"),
            Some(c"call_async(method, args, future): run the served JS function `method` on `args`; `future` (asyncio) gets the outcome"),
            |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| call_async(args),
        )?,
    )?;
    module.add(
        "call",
        PyCFunction::new_closure(
            py,
            Some(c"call"),
            Some(c"call(method, args): run the served JS function `method` on `args` and wait for its result"),
            |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<Py<PyAny>> {
                call_blocking(args).map(Bound::unbind)
            },
        )?,
    )?;
    module.add(
        "serving",
        PyCFunction::new_closure(
            py,
            Some(c"serving"),
            Some(c"serving(): True when the JS runtime serves calls"),
            |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| serving(),
        )?,
    )?;
    module.add(
        "on_lane",
        PyCFunction::new_closure(
            py,
            Some(c"on_lane"),
            Some(c"on_lane(): True on a bridge thread that serves JS's calls (waiting there must use call())"),
            |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| {
                runtime::current_lane().is_some()
            },
        )?,
    )?;
    py.import("sys")?
        .getattr("modules")?
        .set_item(MODULE, module)?;
    Ok(())
}
