//! Per-env state: the classes the TS layer registered, the thread-safe
//! function that carries results back to this env's JS thread, and the count
//! of calls in flight that decides whether it keeps the event loop alive.
//!
//! Each env (the main thread and every worker thread that loads the addon)
//! has its own [`EnvState`], stored as Node-API instance data. All envs share
//! the one Python thread.

use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::sys;

use super::sys::{Js, NodeError, NodeResult};
use super::write;
use crate::error::BridgeError;
use crate::jscall::{self, JsCall, JsFailure, JsSink};
use crate::ops::Outcome;
use crate::settle::settlement;

/// A JS object kept alive by a strong reference, usable only on its env's
/// JS thread.
#[derive(Clone, Copy)]
pub(crate) struct Ref(sys::napi_ref);

impl Ref {
    pub fn new(reference: sys::napi_ref) -> Ref {
        Ref(reference)
    }

    pub fn get(self, js: Js) -> NodeResult<sys::napi_value> {
        js.reference_value(self.0)
    }

    pub fn raw(self) -> sys::napi_ref {
        self.0
    }
}

/// The classes from `@remotemedia/core` and the bridge's TS layer.
pub(crate) struct Registry {
    /// `Object.prototype`, to recognise plain objects.
    pub object_prototype: Ref,
    /// `PyObject` (the TS handle class) constructors.
    pub py_object: Vec<Ref>,
    /// The symbol under which a `PyObject` keeps its native `PyRef`.
    pub ref_key: Ref,
    /// core `Tensor` constructors.
    pub tensor: Vec<Ref>,
    /// core `Audio` constructors.
    pub audio: Vec<Ref>,
    /// core `VideoFrame` constructors.
    pub video_frame: Vec<Ref>,
    /// The `prototype` of each class above, with its kind: an instance whose
    /// prototype is one of these is recognised by one identity check, not
    /// an `instanceof` per class (subclasses take the `instanceof` path).
    pub prototypes: Vec<(Ref, Kind)>,
}

/// Which registered class an object is a direct instance of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    PyObject,
    Tensor,
    Audio,
    VideoFrame,
}

/// What the Python threads send to a JS thread.
pub(crate) enum Message {
    /// Settle a call's promise.
    Settle {
        deferred: Deferred,
        result: Result<Outcome, BridgeError>,
    },
    /// Python let go of JS memory it viewed: drop the reference.
    Unref(sys::napi_ref),
    /// Python calls the function this env serves.
    JsCall(JsCall),
}

/// A promise's resolver.
pub(crate) struct Deferred(sys::napi_deferred);

// SAFETY: a `napi_deferred` is an opaque pointer; it is only passed to
// Node-API (settled) on its env's JS thread, in `on_message`.
unsafe impl Send for Deferred {}
// SAFETY: `Message::Unref` carries a `napi_ref` the same way: it is only
// deleted on its env's JS thread, in `on_message`.
unsafe impl Send for Message {}

struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: thread-safe functions are made to be called from any thread;
// `Channel` stops using it once Node finalizes it.
unsafe impl Send for Tsfn {}

/// The way from any thread to one env's JS thread.
pub(crate) struct Channel {
    tsfn: Mutex<Option<Tsfn>>,
}

impl Channel {
    /// Queues a message for the JS thread (never blocks). Dropped if the env
    /// is gone (false); its contents are then released where they are.
    pub fn post(&self, message: Message) -> bool {
        let leftover = {
            let guard = self.tsfn.lock().unwrap_or_else(|p| p.into_inner());
            let Some(tsfn) = guard.as_ref() else {
                return false;
            };
            let data = Box::into_raw(Box::new(message));
            // SAFETY: the tsfn is alive while it is in the mutex (the
            // finalizer takes it out under the same mutex before Node frees
            // it); the queue is unbounded, so nonblocking never fails for
            // lack of room.
            let status = unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    data.cast(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
            if status == sys::Status::napi_ok {
                return true;
            }
            // SAFETY: Node did not take the message.
            unsafe { Box::from_raw(data) }
        };
        drop(leftover);
        false
    }
}

/// Python's calls into JS, posted to the serving env's JS thread.
pub(crate) struct EnvSink(Arc<Channel>);

impl JsSink for EnvSink {
    fn post(&self, call: JsCall) {
        let id = call.id;
        if !self.0.post(Message::JsCall(call)) {
            jscall::settle(
                id,
                Err(failure(
                    "Error",
                    "the JavaScript environment serving calls is gone",
                )),
            );
        }
    }
}

/// A failure made on the Rust side (no JS error object to read).
pub(crate) fn failure(name: &str, message: &str) -> JsFailure {
    JsFailure {
        name: name.into(),
        message: message.into(),
        stack: None,
        exception: None,
        details: crate::value::Value::None,
    }
}

/// A call's promise, settled from the Python thread (or the event-loop
/// thread, for awaited results). Dropping it unsettled (a panic, or the
/// Python thread gone) rejects the promise.
pub(crate) struct Reply {
    channel: Arc<Channel>,
    deferred: Option<Deferred>,
}

impl Reply {
    pub fn send(mut self, result: Result<Outcome, BridgeError>) {
        if let Some(deferred) = self.deferred.take() {
            self.channel.post(Message::Settle { deferred, result });
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(deferred) = self.deferred.take() {
            self.channel.post(Message::Settle {
                deferred,
                result: Err(BridgeError::Panic("the call ended without a result".into())),
            });
        }
    }
}

/// Keeps JS memory alive while Python views it; dropping it (on the Python
/// thread, when numpy lets go) asks the JS thread to drop the reference.
pub(crate) struct KeepAlive {
    channel: Arc<Channel>,
    reference: sys::napi_ref,
    /// Where the lent bytes start in the referenced ArrayBuffer.
    byte_offset: usize,
}

// SAFETY: the reference is only used (read, deleted) on its env's JS thread:
// read in `write::typed_array` after checking the env, deleted through
// `Message::Unref`.
unsafe impl Send for KeepAlive {}
// SAFETY: as above; shared references only compare the channel.
unsafe impl Sync for KeepAlive {}

impl KeepAlive {
    /// The kept ArrayBuffer and where the lent bytes start in it, if it
    /// belongs to `state`'s env.
    pub fn buffer_in(
        &self,
        js: Js,
        state: &EnvState,
    ) -> NodeResult<Option<(sys::napi_value, usize)>> {
        if !Arc::ptr_eq(&self.channel, &state.channel) {
            return Ok(None);
        }
        Ok(Some((
            js.reference_value(self.reference)?,
            self.byte_offset,
        )))
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.channel.post(Message::Unref(self.reference));
    }
}

/// One env's state (Node-API instance data).
pub(crate) struct EnvState {
    pub registry: Registry,
    /// JS memory is lent to Python without copying only on the main thread:
    /// a worker's heap dies with the worker, while Python may keep a view.
    pub zero_copy: bool,
    channel: Arc<Channel>,
    tsfn: sys::napi_threadsafe_function,
    in_flight: Cell<usize>,
    /// The JS function serving Python's calls (`serveCalls`), if this env serves them.
    handler: Cell<Option<Ref>>,
}

impl EnvState {
    /// Creates the env's state (first `init` in this env) or updates its
    /// registry (a second copy of the TS layer, e.g. ESM and CJS builds).
    pub fn install(js: Js, registry: Registry, zero_copy: bool) -> NodeResult<()> {
        if let Some(state) = Self::get_mut(js)? {
            state.registry.py_object.extend(registry.py_object);
            state.registry.tensor.extend(registry.tensor);
            state.registry.audio.extend(registry.audio);
            state.registry.video_frame.extend(registry.video_frame);
            state.registry.prototypes.extend(registry.prototypes);
            return Ok(());
        }
        let channel = Arc::new(Channel {
            tsfn: Mutex::new(None),
        });
        let tsfn = create_tsfn(js, &channel)?;
        *channel.tsfn.lock().unwrap_or_else(|p| p.into_inner()) = Some(Tsfn(tsfn));
        let state = Box::new(EnvState {
            registry,
            zero_copy,
            channel,
            tsfn,
            in_flight: Cell::new(0),
            handler: Cell::new(None),
        });
        unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
            // SAFETY: `data` is the Box leaked below; Node calls this once,
            // at env teardown. The registry's references die with the env.
            drop(unsafe { Box::from_raw(data.cast::<EnvState>()) });
        }
        let data = Box::into_raw(state);
        // SAFETY: `js` is a live callback env; ownership of `data` passes to
        // Node, which hands it back to `finalize`.
        let status = unsafe {
            sys::napi_set_instance_data(js.raw(), data.cast(), Some(finalize), ptr::null_mut())
        };
        if status != sys::Status::napi_ok {
            // SAFETY: Node did not take it.
            drop(unsafe { Box::from_raw(data) });
            return Err(NodeError::Napi("set_instance_data", status));
        }
        Ok(())
    }

    fn get_mut<'a>(js: Js) -> NodeResult<Option<&'a mut EnvState>> {
        let mut data: *mut c_void = ptr::null_mut();
        // SAFETY: `js` is a live callback env.
        let status = unsafe { sys::napi_get_instance_data(js.raw(), &mut data) };
        if status != sys::Status::napi_ok {
            return Err(NodeError::Napi("get_instance_data", status));
        }
        // SAFETY: only `install` sets instance data, to a Box<EnvState> that
        // lives until env teardown; it is only touched on the env's JS thread,
        // one callback at a time.
        Ok(unsafe { data.cast::<EnvState>().as_mut() })
    }

    /// The env's state; `init` must have run.
    pub fn get<'a>(js: Js) -> NodeResult<&'a EnvState> {
        Self::get_mut(js)?
            .map(|s| &*s)
            .ok_or(NodeError::Bridge(BridgeError::Panic(
                "the native module was used before init()".into(),
            )))
    }

    /// A resolver for a call starting now; the event loop stays alive until
    /// every such call has settled.
    pub fn begin_call(&self, js: Js, deferred: sys::napi_deferred) -> Reply {
        self.hold(js);
        Reply {
            channel: self.channel.clone(),
            deferred: Some(Deferred(deferred)),
        }
    }

    /// Keeps the event loop alive until the matching [`EnvState::end_call`]
    /// (a call from JS, or one of Python's calls into JS, in flight).
    pub fn hold(&self, js: Js) {
        let n = self.in_flight.get();
        if n == 0 {
            // SAFETY: called on the env's JS thread with its own tsfn.
            unsafe { sys::napi_ref_threadsafe_function(js.raw(), self.tsfn) };
        }
        self.in_flight.set(n + 1);
    }

    /// Makes `handler` (a JS function, or none) serve Python's calls, and
    /// this env the one they go to (the last env to serve wins).
    pub fn serve(&self, js: Js, handler: Option<sys::napi_value>) -> NodeResult<()> {
        let handler = handler.map(|h| js.reference(h).map(Ref::new)).transpose()?;
        if let Some(old) = self.handler.replace(handler) {
            js.delete_reference(old.raw());
        }
        jscall::serve(match handler {
            Some(_) => Some(Arc::new(EnvSink(self.channel.clone()))),
            None => None,
        });
        Ok(())
    }

    pub fn end_call(&self, js: Js) {
        let n = self.in_flight.get().saturating_sub(1);
        self.in_flight.set(n);
        if n == 0 {
            // SAFETY: as in `begin_call`.
            unsafe { sys::napi_unref_threadsafe_function(js.raw(), self.tsfn) };
        }
    }

    /// Keeps an ArrayBuffer alive until the returned guard is dropped
    /// (anywhere); `byte_offset` is where the lent bytes start in it.
    pub fn keep_alive(
        &self,
        js: Js,
        arraybuffer: sys::napi_value,
        byte_offset: usize,
    ) -> NodeResult<KeepAlive> {
        Ok(KeepAlive {
            channel: self.channel.clone(),
            reference: js.reference(arraybuffer)?,
            byte_offset,
        })
    }
}

/// A weak (unref'd) thread-safe function with no JS callee: `on_message`
/// does the work. It is ref'd only while calls are in flight, so an idle
/// bridge never keeps the process alive.
fn create_tsfn(js: Js, channel: &Arc<Channel>) -> NodeResult<sys::napi_threadsafe_function> {
    let name = js.string("remotemedia-python-bridge")?;
    let finalize_data = Arc::into_raw(channel.clone());
    let mut tsfn = ptr::null_mut();
    // SAFETY: `js` is a live callback env; `finalize_data` is an owned Arc
    // reclaimed by `on_finalize`.
    let status = unsafe {
        sys::napi_create_threadsafe_function(
            js.raw(),
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            finalize_data as *mut c_void,
            Some(on_finalize),
            ptr::null_mut(),
            Some(on_message),
            &mut tsfn,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: Node did not take it.
        drop(unsafe { Arc::from_raw(finalize_data) });
        return Err(NodeError::Napi("create_threadsafe_function", status));
    }
    // SAFETY: just created in this env.
    unsafe { sys::napi_unref_threadsafe_function(js.raw(), tsfn) };
    Ok(tsfn)
}

/// Node is done with the tsfn (env teardown): stop posting to it.
unsafe extern "C" fn on_finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Arc leaked in `create_tsfn`, finalized once.
    let channel = unsafe { Arc::from_raw(data as *const Channel) };
    channel
        .tsfn
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
}

/// Runs on the JS thread for each posted message. Never unwinds into Node
/// and never leaves a promise pending: whatever fails while building the
/// result (or panics) rejects the promise instead.
unsafe extern "C" fn on_message(
    env: sys::napi_env,
    _callee: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` is a Box<Message> from `Channel::post`, delivered once.
    let message = unsafe { Box::from_raw(data.cast::<Message>()) };
    if env.is_null() {
        // The env is being torn down: nothing to settle.
        return;
    }
    // SAFETY: Node calls this on the env's JS thread, inside a handle scope.
    let js = unsafe { Js::new(env) };
    // Nothing below is expected to panic; this only keeps a bug from
    // unwinding into Node (settle() already caught anything that would
    // otherwise leave the promise pending).
    let _ = catch_unwind(AssertUnwindSafe(|| match *message {
        Message::Unref(reference) => js.delete_reference(reference),
        Message::Settle { deferred, result } => settle(js, deferred, result),
        Message::JsCall(call) => serve_call(js, call),
    }));
}

/// Hands one of Python's calls to the serving JS function, as
/// `handler(id, method, args)`; the TS layer settles it later through
/// `settleJsCall(id, ...)`. Until then the event loop stays alive.
fn serve_call(js: Js, call: JsCall) {
    let id = call.id;
    let started = (|| -> NodeResult<()> {
        let state = EnvState::get(js)?;
        let Some(handler) = state.handler.get() else {
            return Err(NodeError::Bridge(BridgeError::Panic(
                "no JavaScript function serves Python's calls in this environment".into(),
            )));
        };
        let handler = handler.get(js)?;
        let args = [
            js.number(id as f64)?,
            js.string(&call.method)?,
            write::value(js, state, call.args)?,
        ];
        state.hold(js);
        if let Err(e) = js.call_function(handler, &args) {
            state.end_call(js);
            return Err(e);
        }
        Ok(())
    })();
    if let Err(e) = started {
        let message = match e {
            NodeError::Pending => {
                js.take_exception();
                "the JavaScript function serving Python's calls threw".into()
            }
            NodeError::Napi(what, status) => {
                format!("Node-API call {what} failed with status {status}")
            }
            NodeError::Bridge(b) => b.to_string(),
        };
        jscall::settle(id, Err(failure("Error", &message)));
    }
}

/// Settles a call's promise with its result, or rejects it.
fn settle(js: Js, deferred: Deferred, result: Result<Outcome, BridgeError>) {
    let state = EnvState::get(js);
    if let Ok(state) = &state {
        state.end_call(js);
    }
    let outcome = settlement(
        || {
            let state = state?;
            write::outcome(js, state, result.map_err(NodeError::Bridge)?)
        },
        |panic| {
            NodeError::Bridge(BridgeError::Panic(format!(
                "converting the result panicked: {panic}"
            )))
        },
        |error| super::error_value(js, error),
        || js.undefined().unwrap_or(ptr::null_mut()),
    );
    // A JS exception still pending (thrown while the result was built) would
    // make Node-API refuse to settle: it becomes the rejection.
    let outcome = match js.take_exception() {
        Some(exception) => Err(exception),
        None => outcome,
    };
    js.settle(deferred.0, outcome);
}
