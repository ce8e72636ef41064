//! The Node-API edge: the functions and the one class the TS layer calls.
//!
//! Each function reads its JS arguments into [`Value`]s on the JS thread,
//! queues a job for the Python thread and returns a Promise; the job's result
//! comes back through the env's thread-safe function and is written as JS
//! values there ([`env`]). A `call` whose result is awaitable is awaited on
//! the bridge's event loop instead, and the loop thread sends the result
//! through the same thread-safe function when it is ready. Errors become JS errors here and only here: a
//! `BridgeError` turns into an `Error` whose `code` is
//! [`BridgeError::code`], with `pyType` / `pyModule` / `pyMessage` /
//! `traceback` for Python exceptions; the TS layer maps codes to its classes.

// napi-derive registers the exports only outside `cfg(test)`, so under
// `cargo test --features napi-support` this module looks unused.
#![cfg_attr(test, allow(dead_code))]

mod env;
mod read;
mod sys;
mod write;

use napi::JsValue;
use napi::bindgen_prelude::{Env, Status, Unknown};
use napi_derive::napi;
use pyo3::Python;

use self::env::{EnvState, Kind, Ref, Registry, Reply, failure};
use self::sys::{Js, NodeError, NodeResult};
use crate::cancel::CancelFlag;
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::jscall::{self, JsFailure};
use crate::ops::{self, Outcome, Want};
use crate::runtime::{self, StartOptions};
use crate::value::Value;

/// A native handle to a live Python object (wrapped by the TS `PyObject`).
#[napi]
pub struct PyRef {
    handle: Option<PyHandle>,
    type_name: String,
}

impl PyRef {
    fn new(handle: PyHandle) -> PyRef {
        PyRef {
            type_name: handle.type_name().to_string(),
            handle: Some(handle),
        }
    }

    fn handle(&self) -> Result<PyHandle, BridgeError> {
        self.handle.clone().ok_or(BridgeError::Released)
    }
}

#[napi]
impl PyRef {
    /// `module.qualname` of the object's type.
    #[napi(getter)]
    pub fn type_name(&self) -> String {
        self.type_name.clone()
    }

    /// True after `release()`.
    #[napi(getter)]
    pub fn released(&self) -> bool {
        self.handle.is_none()
    }

    /// Drops this handle's reference now (the object is freed on the Python
    /// thread if nothing else refers to it). Later use fails.
    #[napi]
    pub fn release(&mut self) {
        self.handle = None;
    }
}

/// A cancellation token for Python calls: pass it as an argument, call
/// `cancel()` while the call runs, and the Python side sees `is_set()` turn
/// true (`remotemedia.runtime_host` stops between items). Setting it needs
/// neither the GIL nor the Python thread, which may be busy with that call.
#[napi]
pub struct CancelToken {
    flag: CancelFlag,
}

#[napi]
impl CancelToken {
    /// A token not cancelled yet.
    #[napi(constructor)]
    pub fn new() -> CancelToken {
        CancelToken {
            flag: CancelFlag::new(),
        }
    }

    /// Asks the call holding this token to stop (idempotent; any thread).
    #[napi]
    pub fn cancel(&self) {
        self.flag.cancel();
    }

    /// True once `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }
}

/// What `start` reports about the interpreter.
#[napi(object)]
pub struct StartInfo {
    /// `platform.python_version()`.
    pub version: String,
    /// `sys.executable`.
    pub executable: String,
    /// `sys.prefix`.
    pub prefix: String,
    /// `sys.base_prefix`.
    pub base_prefix: String,
    /// The libpython file in use.
    pub libpython: String,
    /// The venv directory, if any.
    pub venv: Option<String>,
    /// The venv's site-packages, if any.
    pub site_packages: Option<String>,
    /// How many Python threads serve calls.
    pub threads: u32,
}

/// The JS error for a failure (`None` if the env cannot build one).
fn error_value(js: Js, error: NodeError) -> Option<napi::sys::napi_value> {
    let bridge = match error {
        NodeError::Pending => return js.take_exception(),
        NodeError::Napi(what, status) => {
            return js
                .error(
                    "ERR_NODE_API",
                    &format!("Node-API call {what} failed with status {status}"),
                )
                .ok();
        }
        NodeError::Bridge(e) => e,
    };
    let object = js.error(bridge.code(), &bridge.to_string()).ok()?;
    if let Some(reason) = bridge.shape_problem() {
        let reason = js.string(reason).ok()?;
        js.set_named(object, c"reason", reason).ok()?;
    }
    if let BridgeError::Python(e) = &bridge {
        for (name, text) in [
            (c"pyType", &e.py_type),
            (c"pyModule", &e.module),
            (c"pyMessage", &e.message),
            (c"traceback", &e.traceback),
        ] {
            let text = js.string(text).ok()?;
            js.set_named(object, name, text).ok()?;
        }
    }
    Some(object)
}

/// Ends a synchronous call: the value, or a thrown JS error.
fn finish<'env>(js: Js, result: NodeResult<napi::sys::napi_value>) -> napi::Result<Unknown<'env>> {
    match result {
        // SAFETY: the value was made in this callback's scope.
        Ok(value) => Ok(unsafe { Unknown::from_raw_unchecked(js.raw(), value) }),
        Err(e) => {
            if let Some(error) = error_value(js, e) {
                js.throw(error);
            }
            Err(napi::Error::new(Status::PendingException, "thrown"))
        }
    }
}

fn with_state<'env>(
    env: &Env,
    body: impl FnOnce(Js, &EnvState) -> NodeResult<napi::sys::napi_value>,
) -> napi::Result<Unknown<'env>> {
    // SAFETY: napi-rs calls exported functions inside their Node-API
    // callback, on the env's JS thread.
    let js = unsafe { Js::new(env.raw()) };
    let result = EnvState::get(js).and_then(|state| body(js, state));
    finish(js, result)
}

/// Queues `work` for the Python thread; returns its Promise.
fn spawn<F>(js: Js, state: &EnvState, work: F) -> NodeResult<napi::sys::napi_value>
where
    F: for<'py> FnOnce(Python<'py>) -> Result<Outcome, BridgeError> + Send + 'static,
{
    spawn_with(js, state, 0, move |py, reply| reply.send(work(py)))
}

/// Queues `work` for the Python thread of `lane` with the call's [`Reply`],
/// which it sends now or hands on (to the event loop); returns the Promise.
fn spawn_with<F>(
    js: Js,
    state: &EnvState,
    lane: usize,
    work: F,
) -> NodeResult<napi::sys::napi_value>
where
    F: for<'py> FnOnce(Python<'py>, Reply) + Send + 'static,
{
    if runtime::info().is_none() {
        return Err(BridgeError::NotStarted.into());
    }
    let (deferred, promise) = js.promise()?;
    let reply = state.begin_call(js, deferred);
    // If the Python thread were gone, the task (and `reply`) is dropped,
    // which rejects the promise.
    let _ = runtime::submit_on(lane, Box::new(move |py| work(py, reply)));
    Ok(promise)
}

fn want(code: u32) -> Want {
    match code {
        0 => Want::Handle,
        1 => Want::Value,
        _ => Want::Nothing,
    }
}

fn target(js: Js, state: &EnvState, value: napi::sys::napi_value) -> NodeResult<PyHandle> {
    read::py_handle(js, state, value)?.ok_or_else(|| {
        BridgeError::conversion("expected a PyObject")
            .rooted("target")
            .into()
    })
}

/// Registers this env: the classes values convert to and from, and whether
/// JS memory may be lent to Python without a copy (main thread only).
#[napi(
    ts_args_type = "registry: { objectPrototype: object; PyObject: Function; refKey: symbol; Tensor: Function; Audio: Function; VideoFrame: Function }, isMainThread: boolean"
)]
pub fn init(env: Env, registry: Unknown, is_main_thread: bool) -> napi::Result<()> {
    // SAFETY: inside this function's Node-API callback.
    let js = unsafe { Js::new(env.raw()) };
    let result = (|| -> NodeResult<napi::sys::napi_value> {
        let object = registry.raw();
        let take = |name: &std::ffi::CStr| -> NodeResult<Ref> {
            let value = js.get_named(object, name)?;
            Ok(Ref::new(js.reference(value)?))
        };
        let mut prototypes = Vec::new();
        for (name, kind) in [
            (c"PyObject", Kind::PyObject),
            (c"Tensor", Kind::Tensor),
            (c"Audio", Kind::Audio),
            (c"VideoFrame", Kind::VideoFrame),
        ] {
            let prototype = js.get_named(js.get_named(object, name)?, c"prototype")?;
            if js.type_of(prototype)? == napi::sys::ValueType::napi_object {
                prototypes.push((Ref::new(js.reference(prototype)?), kind));
            }
        }
        let registry = Registry {
            object_prototype: take(c"objectPrototype")?,
            py_object: vec![take(c"PyObject")?],
            ref_key: take(c"refKey")?,
            tensor: vec![take(c"Tensor")?],
            audio: vec![take(c"Audio")?],
            video_frame: vec![take(c"VideoFrame")?],
            prototypes,
        };
        EnvState::install(js, registry, is_main_thread)?;
        js.undefined()
    })();
    finish(js, result).map(|_| ())
}

/// Starts Python (once per process) and reports what runs; `threads` (how
/// many Python threads serve calls) counts only when this call boots it.
#[napi]
pub fn start(
    env: Env,
    venv: Option<String>,
    paths: Vec<String>,
    threads: Option<u32>,
) -> napi::Result<StartInfo> {
    let options = StartOptions {
        venv: venv.map(Into::into),
        paths: paths.into_iter().map(Into::into).collect(),
        threads: threads.map(|n| n as usize),
    };
    match runtime::start(&options) {
        Ok(info) => Ok(StartInfo {
            version: info.version,
            executable: info.executable,
            prefix: info.prefix,
            base_prefix: info.base_prefix,
            libpython: info.libpython,
            venv: info.venv,
            site_packages: info.site_packages,
            threads: runtime::lanes() as u32,
        }),
        Err(e) => {
            // SAFETY: inside this function's Node-API callback.
            let js = unsafe { Js::new(env.raw()) };
            finish(js, Err(e.into())).map(|_| unreachable!("finish only returns Ok for Ok input"))
        }
    }
}

/// `import name`.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn import_module<'env>(env: &'env Env, name: String) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        spawn(js, state, move |py| {
            Outcome::of(&ops::import(py, &name)?, Want::Handle)
        })
    })
}

/// Evaluates an expression (with extra names) in `__main__`.
#[napi(
    ts_args_type = "source: string, locals: Record<string, unknown> | null | undefined, want: number",
    ts_return_type = "Promise<unknown>"
)]
pub fn evaluate<'env>(
    env: &'env Env,
    source: String,
    locals: Unknown,
    want_code: u32,
) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let locals =
            read::entries(js, state, locals.raw()).map_err(|e| read::rooted(e, "locals"))?;
        spawn(js, state, move |py| {
            Outcome::of(&ops::eval(py, &source, locals)?, want(want_code))
        })
    })
}

/// Runs statements in `globals` (a dict handle) or `__main__`.
#[napi(
    ts_args_type = "source: string, globals: unknown",
    ts_return_type = "Promise<void>"
)]
pub fn execute<'env>(
    env: &'env Env,
    source: String,
    globals: Unknown,
) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let globals = read::optional_handle(js, state, globals.raw())
            .map_err(|e| read::rooted(e, "globals"))?;
        spawn(js, state, move |py| {
            ops::exec(py, &source, globals.as_ref())?;
            Ok(Outcome::Nothing)
        })
    })
}

/// Converts a JS value to a Python object.
#[napi(ts_args_type = "value: unknown", ts_return_type = "Promise<unknown>")]
pub fn from_js<'env>(env: &'env Env, value: Unknown) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let value = read::value(js, state, value.raw()).map_err(|e| read::rooted(e, "value"))?;
        spawn(js, state, move |py| {
            let object = crate::convert::to_python(py, value)?;
            Outcome::of(&object, Want::Handle)
        })
    })
}

/// `target(*args, **kwargs)` or `target.method(*args, **kwargs)`; an
/// awaitable result (a coroutine) is awaited on the bridge's event loop. With
/// `on` (a PyObject), the call runs on that object's Python thread, where all
/// calls made on its behalf run in order; otherwise on the main one.
#[napi(
    ts_args_type = "target: unknown, method: string | null | undefined, args: ReadonlyArray<unknown>, kwargs: Record<string, unknown> | null | undefined, want: number, on?: unknown",
    ts_return_type = "Promise<unknown>"
)]
pub fn call<'env>(
    env: &'env Env,
    target_value: Unknown,
    method: Option<String>,
    args: Unknown,
    kwargs: Unknown,
    want_code: u32,
    on: Option<Unknown>,
) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let handle = target(js, state, target_value.raw())?;
        let lane = match on {
            Some(on) => read::optional_handle(js, state, on.raw())
                .map_err(|e| read::rooted(e, "on"))?
                .map_or(0, |h| h.lane()),
            None => 0,
        };
        let args: Vec<Value> =
            read::list(js, state, args.raw()).map_err(|e| read::rooted(e, "args"))?;
        let kwargs =
            read::entries(js, state, kwargs.raw()).map_err(|e| read::rooted(e, "kwargs"))?;
        let want = want(want_code);
        spawn_with(js, state, lane, move |py, reply| {
            match ops::call(py, &handle, method.as_deref(), args, kwargs) {
                // Awaited on the event loop; this thread moves on to the
                // next job and the loop thread settles the promise.
                Ok(result) if ops::is_awaitable(&result) => {
                    ops::await_on_loop(py, &result, move |_py, awaited| {
                        reply.send(awaited.and_then(|value| Outcome::of(&value, want)));
                    });
                }
                result => reply.send(result.and_then(|value| Outcome::of(&value, want))),
            }
        })
    })
}

/// `getattr(target, name)`.
#[napi(
    ts_args_type = "target: unknown, name: string, want: number",
    ts_return_type = "Promise<unknown>"
)]
pub fn get_attr<'env>(
    env: &'env Env,
    target_value: Unknown,
    name: String,
    want_code: u32,
) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let handle = target(js, state, target_value.raw())?;
        spawn(js, state, move |py| {
            Outcome::of(&ops::get_attr(py, &handle, &name)?, want(want_code))
        })
    })
}

/// The JS value of a Python object (RuntimeData).
#[napi(ts_args_type = "target: unknown", ts_return_type = "Promise<unknown>")]
pub fn to_js<'env>(env: &'env Env, target_value: Unknown) -> napi::Result<Unknown<'env>> {
    with_state(env, |js, state| {
        let handle = target(js, state, target_value.raw())?;
        spawn(js, state, move |py| {
            Outcome::of(handle.bind(py), Want::Value)
        })
    })
}

/// Address of a typed array's first byte (diagnostics: compare with numpy's
/// `__array_interface__["data"][0]`).
#[napi(ts_args_type = "view: ArrayBufferView")]
pub fn buffer_address(env: Env, view: Unknown) -> napi::Result<f64> {
    // SAFETY: inside this function's Node-API callback.
    let js = unsafe { Js::new(env.raw()) };
    match js.typedarray_info(view.raw()) {
        Ok(info) => Ok(info.data as usize as f64),
        Err(e) => finish(js, Err(e)).map(|_| 0.0),
    }
}

/// Makes `handler` serve Python's calls into JS (`_remotemedia_js.call`):
/// it is called as `handler(id, method, args)` and must end each call with
/// [`settle_js_call`]. `null` stops serving. The last env to serve wins.
#[napi(ts_args_type = "handler: ((id: number, method: string, args: unknown) => void) | null")]
pub fn serve_calls(env: Env, handler: Unknown) -> napi::Result<()> {
    // SAFETY: inside this function's Node-API callback.
    let js = unsafe { Js::new(env.raw()) };
    let result = (|| -> NodeResult<napi::sys::napi_value> {
        let state = EnvState::get(js)?;
        let handler = match js.type_of(handler.raw())? {
            napi::sys::ValueType::napi_function => Some(handler.raw()),
            napi::sys::ValueType::napi_null | napi::sys::ValueType::napi_undefined => None,
            _ => {
                return Err(BridgeError::conversion("expected a function or null")
                    .rooted("handler")
                    .into());
            }
        };
        state.serve(js, handler)?;
        js.undefined()
    })();
    finish(js, result).map(|_| ())
}

/// Ends Python's call `id`: with `value` when `ok`, else with the failure
/// `value` describes (`{ name, message, stack?, exception?: PyObject, details? }`;
/// `exception` is re-raised in Python as is). A value that cannot cross
/// fails the call with a `TypeError` naming the place.
#[napi(ts_args_type = "id: number, ok: boolean, value: unknown")]
pub fn settle_js_call(env: Env, id: f64, ok: bool, value: Unknown) -> napi::Result<()> {
    // SAFETY: inside this function's Node-API callback.
    let js = unsafe { Js::new(env.raw()) };
    let result = (|| -> NodeResult<napi::sys::napi_value> {
        let state = EnvState::get(js)?;
        state.end_call(js);
        let outcome = if ok {
            read::value(js, state, value.raw()).map_err(|e| match read::rooted(e, "result") {
                NodeError::Bridge(b) => failure("TypeError", &b.to_string()),
                NodeError::Pending => {
                    js.take_exception();
                    failure("TypeError", "reading the result threw")
                }
                NodeError::Napi(what, status) => failure(
                    "Error",
                    &format!("Node-API call {what} failed with status {status}"),
                ),
            })
        } else {
            Err(read_failure(js, state, value.raw())?)
        };
        jscall::settle(id as u64, outcome);
        js.undefined()
    })();
    finish(js, result).map(|_| ())
}

/// A failure object from the TS layer.
fn read_failure(js: Js, state: &EnvState, object: napi::sys::napi_value) -> NodeResult<JsFailure> {
    let text = |name: &std::ffi::CStr| -> NodeResult<Option<String>> {
        let v = js.get_named(object, name)?;
        match js.type_of(v)? {
            napi::sys::ValueType::napi_string => Ok(Some(js.get_string_lossy(v)?)),
            _ => Ok(None),
        }
    };
    let details = js.get_named(object, c"details")?;
    Ok(JsFailure {
        name: text(c"name")?.unwrap_or_else(|| "Error".into()),
        message: text(c"message")?.unwrap_or_default(),
        stack: text(c"stack")?,
        exception: read::optional_handle(js, state, js.get_named(object, c"exception")?)
            .map_err(|e| read::rooted(e, "exception"))?,
        details: match js.type_of(details)? {
            napi::sys::ValueType::napi_undefined | napi::sys::ValueType::napi_null => Value::None,
            _ => read::value(js, state, details).map_err(|e| read::rooted(e, "details"))?,
        },
    })
}
