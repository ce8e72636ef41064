//! Thin, checked wrappers over the Node-API calls the edge uses.
//!
//! A [`Js`] stands for "inside a Node-API callback, on that env's JS thread":
//! it can only be made with the unsafe [`Js::new`], and every method relies
//! on that. The `napi_value`s passed in must come from the same callback (its
//! handle scope). Failures become [`NodeError`]; a failure caused by a JS
//! exception (a throwing getter, a throwing constructor) leaves that
//! exception pending and reports [`NodeError::Pending`].

use std::ffi::{CStr, c_void};
use std::ptr;

use napi::sys;

use crate::error::BridgeError;

/// A Node-API failure at the edge.
#[derive(Debug)]
pub(crate) enum NodeError {
    /// A bridge error to raise as a JS error with its code.
    Bridge(BridgeError),
    /// A JS exception is pending; let it propagate.
    Pending,
    /// A Node-API call failed without a JS exception.
    Napi(&'static str, sys::napi_status),
}

impl From<BridgeError> for NodeError {
    fn from(e: BridgeError) -> Self {
        NodeError::Bridge(e)
    }
}

pub(crate) type NodeResult<T> = Result<T, NodeError>;

/// What `napi_get_typedarray_info` reports.
pub(crate) struct TypedArrayInfo {
    pub kind: sys::napi_typedarray_type,
    pub length: usize,
    pub data: *mut u8,
    pub arraybuffer: sys::napi_value,
    pub byte_offset: usize,
}

/// A JS string as read: UTF-8 unless it holds unpaired surrogates.
pub(crate) enum JsText {
    Utf8(String),
    Utf16(Vec<u16>),
}

/// The env of the Node-API callback that is running on this thread.
#[derive(Clone, Copy)]
pub(crate) struct Js {
    env: sys::napi_env,
}

macro_rules! call {
    ($js:expr, $what:literal, $call:expr) => {{
        // SAFETY: `Js` exists only inside a Node-API callback on the env's JS
        // thread (see `Js::new`), every pointer argument points to a live
        // local, and every napi_value comes from the same callback scope.
        let status = unsafe { $call };
        $js.check(status, $what)
    }};
}

impl Js {
    /// # Safety
    /// `env` must be the env of a Node-API callback (or finalizer, or
    /// thread-safe function call) that is running now on the current thread,
    /// and the `Js` must not outlive it.
    pub unsafe fn new(env: sys::napi_env) -> Js {
        Js { env }
    }

    /// The raw env.
    pub fn raw(self) -> sys::napi_env {
        self.env
    }

    fn check(self, status: sys::napi_status, what: &'static str) -> NodeResult<()> {
        if status == sys::Status::napi_ok {
            return Ok(());
        }
        if status == sys::Status::napi_pending_exception || self.exception_pending() {
            return Err(NodeError::Pending);
        }
        Err(NodeError::Napi(what, status))
    }

    pub fn exception_pending(self) -> bool {
        let mut pending = false;
        // SAFETY: see `call!`.
        let status = unsafe { sys::napi_is_exception_pending(self.env, &mut pending) };
        status == sys::Status::napi_ok && pending
    }

    /// Clears and returns the pending exception, if any.
    pub fn take_exception(self) -> Option<sys::napi_value> {
        if !self.exception_pending() {
            return None;
        }
        let mut value = ptr::null_mut();
        call!(
            self,
            "get_and_clear_last_exception",
            sys::napi_get_and_clear_last_exception(self.env, &mut value)
        )
        .ok()?;
        Some(value)
    }

    pub fn throw(self, error: sys::napi_value) {
        // SAFETY: see `call!`; a failure to throw (env tearing down) leaves
        // nothing to report to.
        unsafe { sys::napi_throw(self.env, error) };
    }

    pub fn type_of(self, value: sys::napi_value) -> NodeResult<sys::napi_valuetype> {
        let mut ty = 0;
        call!(self, "typeof", sys::napi_typeof(self.env, value, &mut ty))?;
        Ok(ty)
    }

    /// `function(...args)` with `undefined` as `this`.
    pub fn call_function(
        self,
        function: sys::napi_value,
        args: &[sys::napi_value],
    ) -> NodeResult<sys::napi_value> {
        let receiver = self.undefined()?;
        let mut result = ptr::null_mut();
        call!(
            self,
            "call_function",
            sys::napi_call_function(
                self.env,
                receiver,
                function,
                args.len(),
                args.as_ptr(),
                &mut result
            )
        )?;
        Ok(result)
    }

    pub fn null(self) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(self, "get_null", sys::napi_get_null(self.env, &mut v))?;
        Ok(v)
    }

    pub fn undefined(self) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_undefined",
            sys::napi_get_undefined(self.env, &mut v)
        )?;
        Ok(v)
    }

    pub fn boolean(self, b: bool) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_boolean",
            sys::napi_get_boolean(self.env, b, &mut v)
        )?;
        Ok(v)
    }

    pub fn number(self, x: f64) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_double",
            sys::napi_create_double(self.env, x, &mut v)
        )?;
        Ok(v)
    }

    pub fn bigint_i64(self, x: i64) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_bigint_int64",
            sys::napi_create_bigint_int64(self.env, x, &mut v)
        )?;
        Ok(v)
    }

    pub fn bigint_words(self, negative: bool, words: &[u64]) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        let words: &[u64] = if words.is_empty() { &[0] } else { words };
        call!(
            self,
            "create_bigint_words",
            sys::napi_create_bigint_words(
                self.env,
                i32::from(negative),
                words.len(),
                words.as_ptr(),
                &mut v
            )
        )?;
        Ok(v)
    }

    pub fn get_bool(self, value: sys::napi_value) -> NodeResult<bool> {
        let mut b = false;
        call!(
            self,
            "get_value_bool",
            sys::napi_get_value_bool(self.env, value, &mut b)
        )?;
        Ok(b)
    }

    pub fn get_number(self, value: sys::napi_value) -> NodeResult<f64> {
        let mut x = 0.0;
        call!(
            self,
            "get_value_double",
            sys::napi_get_value_double(self.env, value, &mut x)
        )?;
        Ok(x)
    }

    /// A bigint as `i64` when lossless, else as sign and words.
    pub fn get_bigint(self, value: sys::napi_value) -> NodeResult<Result<i64, (bool, Vec<u64>)>> {
        let mut small = 0i64;
        let mut lossless = false;
        call!(
            self,
            "get_value_bigint_int64",
            sys::napi_get_value_bigint_int64(self.env, value, &mut small, &mut lossless)
        )?;
        if lossless {
            return Ok(Ok(small));
        }
        let mut count = 0usize;
        call!(
            self,
            "get_value_bigint_words",
            sys::napi_get_value_bigint_words(
                self.env,
                value,
                ptr::null_mut(),
                &mut count,
                ptr::null_mut()
            )
        )?;
        let mut words = vec![0u64; count];
        let mut sign = 0;
        call!(
            self,
            "get_value_bigint_words",
            sys::napi_get_value_bigint_words(
                self.env,
                value,
                &mut sign,
                &mut count,
                words.as_mut_ptr()
            )
        )?;
        words.truncate(count);
        Ok(Err((sign != 0, words)))
    }

    /// A string. V8 writes U+FFFD for unpaired surrogates when encoding
    /// UTF-8, so a string containing U+FFFD is re-read as UTF-16 and kept so
    /// when it really has unpaired surrogates.
    pub fn get_string(self, value: sys::napi_value) -> NodeResult<JsText> {
        let mut len = 0usize;
        call!(
            self,
            "get_value_string_utf8",
            sys::napi_get_value_string_utf8(self.env, value, ptr::null_mut(), 0, &mut len)
        )?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        call!(
            self,
            "get_value_string_utf8",
            sys::napi_get_value_string_utf8(
                self.env,
                value,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut written
            )
        )?;
        buf.truncate(written);
        let has_replacement = buf.windows(3).any(|w| w == [0xEF, 0xBF, 0xBD]);
        if has_replacement {
            let units = self.get_string_utf16(value)?;
            if char::decode_utf16(units.iter().copied()).any(|c| c.is_err()) {
                return Ok(JsText::Utf16(units));
            }
        }
        // V8 wrote valid UTF-8 (invalid sequences replaced), so this is lossless.
        Ok(JsText::Utf8(String::from_utf8(buf).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }

    fn get_string_utf16(self, value: sys::napi_value) -> NodeResult<Vec<u16>> {
        let mut len = 0usize;
        call!(
            self,
            "get_value_string_utf16",
            sys::napi_get_value_string_utf16(self.env, value, ptr::null_mut(), 0, &mut len)
        )?;
        let mut buf = vec![0u16; len + 1];
        let mut written = 0usize;
        call!(
            self,
            "get_value_string_utf16",
            sys::napi_get_value_string_utf16(
                self.env,
                value,
                buf.as_mut_ptr(),
                buf.len(),
                &mut written
            )
        )?;
        buf.truncate(written);
        Ok(buf)
    }

    /// A string property key or value, read lossily (keys with unpaired
    /// surrogates are vanishingly rare).
    pub fn get_string_lossy(self, value: sys::napi_value) -> NodeResult<String> {
        Ok(match self.get_string(value)? {
            JsText::Utf8(s) => s,
            JsText::Utf16(u) => String::from_utf16_lossy(&u),
        })
    }

    pub fn string(self, s: &str) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_string_utf8",
            sys::napi_create_string_utf8(self.env, s.as_ptr().cast(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    pub fn string_utf16(self, units: &[u16]) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_string_utf16",
            sys::napi_create_string_utf16(self.env, units.as_ptr(), units.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    pub fn is_array(self, value: sys::napi_value) -> NodeResult<bool> {
        let mut b = false;
        call!(
            self,
            "is_array",
            sys::napi_is_array(self.env, value, &mut b)
        )?;
        Ok(b)
    }

    pub fn array_length(self, value: sys::napi_value) -> NodeResult<u32> {
        let mut n = 0u32;
        call!(
            self,
            "get_array_length",
            sys::napi_get_array_length(self.env, value, &mut n)
        )?;
        Ok(n)
    }

    pub fn element(self, array: sys::napi_value, index: u32) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_element",
            sys::napi_get_element(self.env, array, index, &mut v)
        )?;
        Ok(v)
    }

    pub fn array(self, length: usize) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_array_with_length",
            sys::napi_create_array_with_length(self.env, length, &mut v)
        )?;
        Ok(v)
    }

    pub fn set_element(
        self,
        array: sys::napi_value,
        index: u32,
        item: sys::napi_value,
    ) -> NodeResult<()> {
        call!(
            self,
            "set_element",
            sys::napi_set_element(self.env, array, index, item)
        )
    }

    pub fn is_typedarray(self, value: sys::napi_value) -> NodeResult<bool> {
        let mut b = false;
        call!(
            self,
            "is_typedarray",
            sys::napi_is_typedarray(self.env, value, &mut b)
        )?;
        Ok(b)
    }

    pub fn typedarray_info(self, value: sys::napi_value) -> NodeResult<TypedArrayInfo> {
        let mut kind = 0;
        let mut length = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let mut arraybuffer = ptr::null_mut();
        let mut offset = 0usize;
        call!(
            self,
            "get_typedarray_info",
            sys::napi_get_typedarray_info(
                self.env,
                value,
                &mut kind,
                &mut length,
                &mut data,
                &mut arraybuffer,
                &mut offset
            )
        )?;
        Ok(TypedArrayInfo {
            kind,
            length,
            data: data.cast(),
            arraybuffer,
            byte_offset: offset,
        })
    }

    pub fn is_arraybuffer(self, value: sys::napi_value) -> NodeResult<bool> {
        let mut b = false;
        call!(
            self,
            "is_arraybuffer",
            sys::napi_is_arraybuffer(self.env, value, &mut b)
        )?;
        Ok(b)
    }

    /// The bytes of an ArrayBuffer (borrowed for the callback's duration).
    pub fn arraybuffer_bytes<'a>(self, value: sys::napi_value) -> NodeResult<&'a [u8]> {
        let mut data: *mut c_void = ptr::null_mut();
        let mut len = 0usize;
        call!(
            self,
            "get_arraybuffer_info",
            sys::napi_get_arraybuffer_info(self.env, value, &mut data, &mut len)
        )?;
        Ok(bytes_at(data.cast(), len))
    }

    pub fn is_dataview(self, value: sys::napi_value) -> NodeResult<bool> {
        let mut b = false;
        call!(
            self,
            "is_dataview",
            sys::napi_is_dataview(self.env, value, &mut b)
        )?;
        Ok(b)
    }

    pub fn dataview_bytes<'a>(self, value: sys::napi_value) -> NodeResult<&'a [u8]> {
        let mut len = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let mut arraybuffer = ptr::null_mut();
        let mut offset = 0usize;
        call!(
            self,
            "get_dataview_info",
            sys::napi_get_dataview_info(
                self.env,
                value,
                &mut len,
                &mut data,
                &mut arraybuffer,
                &mut offset
            )
        )?;
        Ok(bytes_at(data.cast(), len))
    }

    /// A new ArrayBuffer holding a copy of `bytes`.
    pub fn arraybuffer_copy(self, bytes: &[u8]) -> NodeResult<sys::napi_value> {
        let mut data: *mut c_void = ptr::null_mut();
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_arraybuffer",
            sys::napi_create_arraybuffer(self.env, bytes.len(), &mut data, &mut v)
        )?;
        if !bytes.is_empty() {
            // SAFETY: V8 allocated `bytes.len()` writable bytes at `data`,
            // which cannot overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
        }
        Ok(v)
    }

    /// An ArrayBuffer over memory owned by `owner`, which is dropped (on this
    /// JS thread) when the ArrayBuffer is collected. `None` when the runtime
    /// refuses external memory (V8 sandbox); `owner` is handed back then.
    pub fn external_arraybuffer<T: 'static>(
        self,
        data: *mut u8,
        len: usize,
        owner: Box<T>,
    ) -> NodeResult<Result<sys::napi_value, Box<T>>> {
        unsafe extern "C" fn finalize<T>(
            _env: sys::napi_env,
            _data: *mut c_void,
            hint: *mut c_void,
        ) {
            // SAFETY: `hint` is the Box leaked below, finalized exactly once.
            drop(unsafe { Box::from_raw(hint.cast::<T>()) });
        }
        let hint = Box::into_raw(owner);
        let mut v = ptr::null_mut();
        // SAFETY: see `call!`; `data..data+len` stays valid while `hint`
        // (its owner) lives, and V8 calls `finalize` once when done with it.
        let status = unsafe {
            sys::napi_create_external_arraybuffer(
                self.env,
                data.cast(),
                len,
                Some(finalize::<T>),
                hint.cast(),
                &mut v,
            )
        };
        if status == sys::Status::napi_no_external_buffers_allowed {
            // SAFETY: not adopted by V8, so still ours.
            return Ok(Err(unsafe { Box::from_raw(hint) }));
        }
        if let Err(e) = self.check(status, "create_external_arraybuffer") {
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(hint) });
            return Err(e);
        }
        Ok(Ok(v))
    }

    pub fn typedarray(
        self,
        kind: sys::napi_typedarray_type,
        length: usize,
        arraybuffer: sys::napi_value,
    ) -> NodeResult<sys::napi_value> {
        self.typedarray_at(kind, length, arraybuffer, 0)
    }

    pub fn typedarray_at(
        self,
        kind: sys::napi_typedarray_type,
        length: usize,
        arraybuffer: sys::napi_value,
        byte_offset: usize,
    ) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_typedarray",
            sys::napi_create_typedarray(self.env, kind, length, arraybuffer, byte_offset, &mut v)
        )?;
        Ok(v)
    }

    /// Own, enumerable, string-keyed property names.
    pub fn own_keys(self, object: sys::napi_value) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_all_property_names",
            sys::napi_get_all_property_names(
                self.env,
                object,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut v,
            )
        )?;
        Ok(v)
    }

    pub fn get(self, object: sys::napi_value, key: sys::napi_value) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_property",
            sys::napi_get_property(self.env, object, key, &mut v)
        )?;
        Ok(v)
    }

    pub fn get_named(self, object: sys::napi_value, name: &CStr) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_named_property",
            sys::napi_get_named_property(self.env, object, name.as_ptr(), &mut v)
        )?;
        Ok(v)
    }

    pub fn set_named(
        self,
        object: sys::napi_value,
        name: &CStr,
        value: sys::napi_value,
    ) -> NodeResult<()> {
        call!(
            self,
            "set_named_property",
            sys::napi_set_named_property(self.env, object, name.as_ptr(), value)
        )
    }

    /// Defines an own data property (enumerable, writable, configurable).
    /// Unlike assignment this never runs a setter, so a key named
    /// `__proto__` becomes an ordinary property.
    pub fn define(
        self,
        object: sys::napi_value,
        key: sys::napi_value,
        value: sys::napi_value,
    ) -> NodeResult<()> {
        let descriptor = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: key,
            method: None,
            getter: None,
            setter: None,
            value,
            attributes: sys::PropertyAttributes::writable
                | sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        call!(
            self,
            "define_properties",
            sys::napi_define_properties(self.env, object, 1, &descriptor)
        )
    }

    pub fn set(
        self,
        object: sys::napi_value,
        key: sys::napi_value,
        value: sys::napi_value,
    ) -> NodeResult<()> {
        call!(
            self,
            "set_property",
            sys::napi_set_property(self.env, object, key, value)
        )
    }

    pub fn object(self) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_object",
            sys::napi_create_object(self.env, &mut v)
        )?;
        Ok(v)
    }

    pub fn prototype(self, object: sys::napi_value) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_prototype",
            sys::napi_get_prototype(self.env, object, &mut v)
        )?;
        Ok(v)
    }

    pub fn strict_equals(self, a: sys::napi_value, b: sys::napi_value) -> NodeResult<bool> {
        let mut eq = false;
        call!(
            self,
            "strict_equals",
            sys::napi_strict_equals(self.env, a, b, &mut eq)
        )?;
        Ok(eq)
    }

    pub fn instance_of(
        self,
        object: sys::napi_value,
        constructor: sys::napi_value,
    ) -> NodeResult<bool> {
        let mut is = false;
        call!(
            self,
            "instanceof",
            sys::napi_instanceof(self.env, object, constructor, &mut is)
        )?;
        Ok(is)
    }

    pub fn new_instance(
        self,
        constructor: sys::napi_value,
        args: &[sys::napi_value],
    ) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "new_instance",
            sys::napi_new_instance(self.env, constructor, args.len(), args.as_ptr(), &mut v)
        )?;
        Ok(v)
    }

    /// A strong reference (count 1).
    pub fn reference(self, value: sys::napi_value) -> NodeResult<sys::napi_ref> {
        let mut r = ptr::null_mut();
        call!(
            self,
            "create_reference",
            sys::napi_create_reference(self.env, value, 1, &mut r)
        )?;
        Ok(r)
    }

    pub fn reference_value(self, reference: sys::napi_ref) -> NodeResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        call!(
            self,
            "get_reference_value",
            sys::napi_get_reference_value(self.env, reference, &mut v)
        )?;
        Ok(v)
    }

    pub fn delete_reference(self, reference: sys::napi_ref) {
        // SAFETY: see `call!`; `reference` was created in this env and is
        // deleted once.
        unsafe { sys::napi_delete_reference(self.env, reference) };
    }

    pub fn promise(self) -> NodeResult<(sys::napi_deferred, sys::napi_value)> {
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        call!(
            self,
            "create_promise",
            sys::napi_create_promise(self.env, &mut deferred, &mut promise)
        )?;
        Ok((deferred, promise))
    }

    pub fn settle(
        self,
        deferred: sys::napi_deferred,
        outcome: Result<sys::napi_value, sys::napi_value>,
    ) {
        // SAFETY: see `call!`; each deferred is settled exactly once.
        unsafe {
            match outcome {
                Ok(v) => sys::napi_resolve_deferred(self.env, deferred, v),
                Err(e) => sys::napi_reject_deferred(self.env, deferred, e),
            }
        };
    }

    /// `new Error(message)` with a `code`.
    pub fn error(self, code: &str, message: &str) -> NodeResult<sys::napi_value> {
        let code = self.string(code)?;
        let message = self.string(message)?;
        let mut v = ptr::null_mut();
        call!(
            self,
            "create_error",
            sys::napi_create_error(self.env, code, message, &mut v)
        )?;
        Ok(v)
    }
}

fn bytes_at<'a>(data: *const u8, len: usize) -> &'a [u8] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: Node-API reported `len` readable bytes at `data`; the slice
        // is only used within the current callback.
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}
