//! The Node-API edge: a `PayloadChannel` class over [`Channel`], received
//! samples lent to JavaScript as external `ArrayBuffer`s.

// napi-derive registers the exports only outside `cfg(test)`, so under
// `cargo test --features napi-support` this module looks unused.
#![cfg_attr(test, allow(dead_code))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use napi::bindgen_prelude::{ArrayBuffer, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::channel::{Channel, ChannelConfig, Loan, SEQ_BYTES};
use crate::error::ChannelError;

fn js_error(e: ChannelError) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

/// The iceoryx2 version the addon is built with.
#[napi]
pub fn iceoryx2_version() -> String {
    crate::iceoryx2_version()
}

/// One `ArrayBuffer` over this side's own sample memory: a loan being filled
/// in place (`allocate`), or a payload the worker answered with (`takeShared`).
struct Own {
    /// The loan, until it is sent.
    loan: Option<Loan>,
    /// Its sequence number, once sent.
    seq: Option<u64>,
    /// Pins the worker holds for this buffer (one per shared reference, either way):
    /// as many release notices are due once the buffer is collected.
    pins: usize,
}

/// The `ArrayBuffer`s over this side's own sample memory not collected yet, by address
/// (V8 is never given the same memory twice).
#[derive(Default)]
struct Book {
    buffers: HashMap<usize, Own>,
    /// The address of the buffer of each payload sent or answered with, by sequence number.
    by_seq: HashMap<u64, usize>,
}

impl Book {
    /// Payloads the worker holds pinned for buffers of this side.
    fn pinned(&self) -> usize {
        self.buffers.values().filter(|own| own.pins > 0).count()
    }
}

/// Locks a mutex, whether or not a panic poisoned it (what it guards stays consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The parent's end of one worker's payload channel.
#[napi]
pub struct PayloadChannel {
    /// Shared with the `ArrayBuffer`s over this side's own samples, which read the
    /// publisher's memory: the ports outlive `close` until the last of them is collected.
    inner: Option<Arc<Mutex<Channel>>>,
    /// Samples lent to JavaScript whose `ArrayBuffer` was not collected yet.
    lent: Arc<AtomicUsize>,
    /// Past this many lent samples (half the worker's), payloads are copied out and
    /// their samples released at once, so the worker always has samples to send into.
    /// The worker holds fewer payloads pinned for this side's buffers, and fewer loans
    /// are outstanding.
    lend_limit: usize,
    book: Arc<Mutex<Book>>,
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
            inner: Some(Arc::new(Mutex::new(inner))),
            lent: Arc::new(AtomicUsize::new(0)),
            lend_limit: samples as usize / 2,
            book: Arc::default(),
        })
    }

    fn channel(&self) -> Result<MutexGuard<'_, Channel>> {
        self.inner
            .as_ref()
            .map(|inner| lock(inner))
            .ok_or_else(|| Error::new(Status::GenericFailure, "the payload channel is closed"))
    }

    /// An `ArrayBuffer` over the own sample memory at `address` (`len` bytes), entered in
    /// the book as `own`: once V8 collects it, an unsent loan is dropped, the release
    /// notices it owes are queued, and the ports may go.
    ///
    /// # Safety
    /// `address .. address + len` must stay mapped and untouched by the worker while
    /// `own` is in the book (a loan, or a payload the worker keeps pinned for it), and no
    /// other `ArrayBuffer` over it may exist.
    unsafe fn own_buffer<'env>(
        &self,
        env: &'env Env,
        address: *mut u8,
        len: usize,
        own: Own,
    ) -> Result<ArrayBuffer<'env>> {
        let releases = self.channel()?.releases();
        let ports = self.inner.as_ref().map(Arc::clone);
        let book = Arc::clone(&self.book);
        let key = address as usize;
        {
            let mut book = lock(&book);
            if let Some(seq) = own.seq {
                book.by_seq.insert(seq, key);
            }
            book.buffers.insert(key, own);
        }
        env.adjust_external_memory(len as i64)?;
        let finalize = move |env: Env, ports: Option<Arc<Mutex<Channel>>>| {
            let own = {
                let mut book = lock(&book);
                let own = book.buffers.remove(&key);
                if let Some(seq) = own.as_ref().and_then(|own| own.seq) {
                    book.by_seq.remove(&seq);
                }
                own
            };
            if let Some(Own {
                seq: Some(seq),
                pins,
                ..
            }) = own
            {
                lock(&releases).extend(std::iter::repeat_n(seq, pins));
            }
            // Drops an unsent loan (`own`), then the ports may go (after `close`).
            drop(own);
            drop(ports);
            let _ = env.adjust_external_memory(-(len as i64));
        };
        // SAFETY: the caller guarantees the memory stays valid and unshared while `own` is
        // in the book, which the finalizer (run once V8 collected the buffer) ends.
        unsafe { ArrayBuffer::from_external(env, address, len, ports, finalize) }
    }

    /// A payload of `length` bytes to fill in place, as an `ArrayBuffer` over a loaned
    /// sample (what it holds is left from earlier use: uninitialized), sent without a copy
    /// by `share`; null when no sample can be loaned now (fewer than `samples / 2` loans
    /// and pins may be outstanding).
    #[napi]
    pub fn allocate<'env>(&self, env: &'env Env, length: f64) -> Result<Option<ArrayBuffer<'env>>> {
        let len = length as usize;
        if len == 0 || lock(&self.book).buffers.len() + 1 >= self.lend_limit {
            return Ok(None);
        }
        let Some(mut loan) = self.channel()?.loan(len).map_err(js_error)? else {
            return Ok(None);
        };
        let address = loan.data();
        let own = Own {
            loan: Some(loan),
            seq: None,
            pins: 0,
        };
        // SAFETY: the loan (in the book until the buffer is collected) keeps its sample
        // mapped and this side's alone until it is sent; once sent, every shared reference
        // to it pins it in the worker until the buffer is collected. A fresh loan's memory
        // has no other buffer.
        unsafe { self.own_buffer(env, address, len, own) }.map(Some)
    }

    /// Sends `buffer`, when it is one of this channel's own (of `allocate` or `takeShared`),
    /// by reference: its sequence number (the worker pins it once more; a loan is sent
    /// first), or null when it is not, or the worker holds too many pinned (copy it then).
    #[napi]
    pub fn share(&self, buffer: ArrayBuffer) -> Result<Option<f64>> {
        let key = buffer.as_ptr() as usize;
        let mut book = lock(&self.book);
        let pinned = book.pinned();
        let Some(own) = book.buffers.get_mut(&key) else {
            return Ok(None);
        };
        if own.pins == 0 && pinned + 1 >= self.lend_limit {
            return Ok(None);
        }
        let seq = match (own.loan.take(), own.seq) {
            (Some(loan), _) => {
                let seq = self.channel()?.send_loan(loan).map_err(js_error)?;
                own.seq = Some(seq);
                book.by_seq.insert(seq, key);
                seq
            }
            (None, Some(seq)) => seq,
            (None, None) => return Ok(None),
        };
        if let Some(own) = book.buffers.get_mut(&key) {
            own.pins += 1;
        }
        Ok(Some(seq as f64))
    }

    /// Counts one more pin of the worker's for `buffer` (one of `allocate` or
    /// `takeShared`), whose payload `seq` it answered with; false when `buffer` is not
    /// that payload's (then take it with `takeShared`).
    #[napi]
    pub fn retain(&self, buffer: ArrayBuffer, seq: f64) -> bool {
        let mut book = lock(&self.book);
        match book.buffers.get_mut(&(buffer.as_ptr() as usize)) {
            Some(own) if own.seq == Some(seq as u64) => {
                own.pins += 1;
                true
            }
            _ => false,
        }
    }

    /// This side's payload `seq`, whose bytes `offset .. offset + length` the worker answered
    /// with (a shared reference: it holds the payload pinned): an `ArrayBuffer` over the
    /// whole payload (once it is collected, the worker is told to unpin it), or, when that
    /// payload has a buffer already (see `retain`), a copy of those bytes (and the worker
    /// is told at once).
    #[napi]
    pub fn take_shared<'env>(
        &self,
        env: &'env Env,
        seq: f64,
        offset: f64,
        length: f64,
    ) -> Result<ArrayBuffer<'env>> {
        let seq = seq as u64;
        let (offset, length) = (offset as usize, length as usize);
        let (shared, releases) = {
            let channel = self.channel()?;
            let shared = channel.shared(seq, offset, length).map_err(js_error)?;
            (shared, channel.releases())
        };
        if shared.len == 0 || lock(&self.book).by_seq.contains_key(&seq) {
            // SAFETY: the worker holds the payload pinned until it is told otherwise (below,
            // after the copy), so its `len` bytes at `address` stay mapped and unchanged.
            let bytes =
                unsafe { std::slice::from_raw_parts(shared.address as *const u8, shared.len) };
            let copy = ArrayBuffer::from_data(env, bytes[offset..offset + length].to_vec());
            lock(&releases).push(seq);
            return copy;
        }
        let own = Own {
            loan: None,
            seq: Some(seq),
            pins: 1,
        };
        // SAFETY: `address` points at the `len` bytes of a payload this side sent, which
        // the worker keeps pinned (not reused) and the ports keep mapped while `own` is in
        // the book; the payload has no buffer yet (`by_seq`). JavaScript writes through the
        // buffer would reach the worker's view of its input: received tensors are read-only.
        unsafe { self.own_buffer(env, shared.address as *mut u8, shared.len, own) }
    }

    /// Copies `data` into a new sample and sends it to the worker; returns its
    /// sequence number, or null when every sample is in use (send it another way).
    #[napi]
    pub fn publish(&mut self, data: Uint8Array) -> Result<Option<f64>> {
        self.channel()?
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
