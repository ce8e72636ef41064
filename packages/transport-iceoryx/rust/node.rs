//! The Node-API edge: a `PayloadChannel` class over [`Channel`], received
//! samples lent to JavaScript as external `ArrayBuffer`s.

// napi-derive registers the exports only outside `cfg(test)`, so under
// `cargo test --features napi-support` this module looks unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use napi::bindgen_prelude::{ArrayBuffer, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::channel::{Channel, ChannelConfig, SEQ_BYTES};
use crate::error::ChannelError;

fn js_error(e: ChannelError) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

/// The iceoryx2 version the addon is built with.
#[napi]
pub fn iceoryx2_version() -> String {
    crate::iceoryx2_version()
}

/// The parent's end of one worker's payload channel.
#[napi]
pub struct PayloadChannel {
    inner: Option<Channel>,
    /// Samples lent to JavaScript whose `ArrayBuffer` was not collected yet.
    lent: Arc<AtomicUsize>,
    /// Past this many lent samples (half the worker's), payloads are copied out and
    /// their samples released at once, so the worker always has samples to send into.
    lend_limit: usize,
}

#[napi]
impl PayloadChannel {
    /// Creates the worker's services under `prefix` / `root` (the worker opens them).
    #[napi(constructor)]
    pub fn new(
        prefix: String,
        root: String,
        name: String,
        samples: u32,
        initial_slice_len: u32,
    ) -> Result<Self> {
        let settings = ChannelConfig {
            samples: samples as usize,
            initial_slice_len: initial_slice_len as usize,
        };
        let inner = Channel::open(&prefix, &root, &name, settings).map_err(js_error)?;
        Ok(Self {
            inner: Some(inner),
            lent: Arc::new(AtomicUsize::new(0)),
            lend_limit: samples as usize / 2,
        })
    }

    fn channel(&self) -> Result<&Channel> {
        self.inner
            .as_ref()
            .ok_or_else(|| Error::new(Status::GenericFailure, "the payload channel is closed"))
    }

    /// Copies `data` into a new sample and sends it to the worker; returns its
    /// sequence number, or null when every sample is in use (send it another way).
    #[napi]
    pub fn publish(&mut self, data: Uint8Array) -> Result<Option<f64>> {
        let channel = self
            .inner
            .as_mut()
            .ok_or_else(|| Error::new(Status::GenericFailure, "the payload channel is closed"))?;
        channel
            .publish(&data)
            .map(|seq| seq.map(|s| s as f64))
            .map_err(js_error)
    }

    /// The payload of sample `seq` from the worker, as an `ArrayBuffer` over
    /// the sample itself (released when the buffer is collected), or a copy
    /// (sample released at once) when `lendLimit` samples are already lent.
    #[napi]
    pub fn take<'env>(&self, env: &'env Env, seq: f64) -> Result<ArrayBuffer<'env>> {
        let sample = self.channel()?.take(seq as u64).map_err(js_error)?;
        let bytes = &sample.payload()[SEQ_BYTES..];
        let len = bytes.len();
        if len == 0 || self.lent.load(Ordering::Relaxed) >= self.lend_limit {
            return ArrayBuffer::from_data(env, bytes.to_vec());
        }
        let data = bytes.as_ptr().cast_mut();
        self.lent.fetch_add(1, Ordering::Relaxed);
        let lent = Arc::clone(&self.lent);
        // Tells V8 how much memory the buffer holds, so large samples prompt collection.
        env.adjust_external_memory(len as i64)?;
        // SAFETY: `data` points at `len` bytes of the sample's payload, which stays mapped
        // and unchanged until the sample is dropped; the sample moves into the finalizer,
        // which runs only once V8 collected the buffer (no view of it is left). JavaScript
        // code could write through the buffer: the publisher never reads a sent sample back,
        // so such writes only change what this process sees.
        unsafe {
            ArrayBuffer::from_external(env, data, len, sample, move |env, sample| {
                drop(sample);
                lent.fetch_sub(1, Ordering::Relaxed);
                let _ = env.adjust_external_memory(-(len as i64));
            })
        }
    }

    /// Samples lent to JavaScript and not collected yet.
    #[napi(getter)]
    pub fn lent(&self) -> u32 {
        self.lent.load(Ordering::Relaxed) as u32
    }

    /// Removes the resources of dead nodes (a crashed worker) under this channel's prefix; returns how many.
    #[napi]
    pub fn cleanup_dead_nodes(&self) -> Result<u32> {
        Ok(self.channel()?.cleanup_dead_nodes() as u32)
    }

    /// Drops the ports and the node. Samples still lent stay valid until collected.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }
}

/// Removes the shared-memory files named `<prefix>*` and the `root`
/// directory of a channel whose nodes are all gone; returns how many files.
#[napi]
pub fn remove_resources(prefix: String, root: String) -> Result<u32> {
    crate::channel::remove_resources(&prefix, &root)
        .map(|n| n as u32)
        .map_err(|e| {
            Error::new(
                Status::GenericFailure,
                format!("cannot remove iceoryx2 resources {prefix}* / {root}: {e}"),
            )
        })
}
