//! One worker's payload channel: an iceoryx2 node of its own (private prefix
//! and root path), a publisher on `<name>/req` (parent -> worker) and a
//! subscriber on `<name>/rep` (worker -> parent), `[u8]` slices.
//!
//! A payload is one sample: an 8-byte little-endian sequence number, then the
//! bytes. The frame on the control pipe that refers to a payload names its
//! sequence number; the receiver takes samples in order, drops the ones of
//! messages that were never sent whole (older numbers), and fails on a gap.
//!
//! The worker may answer with a *shared reference* to a payload of the parent
//! that it still holds (a node returned its input, or a slice of it): it keeps
//! that sample pinned, the parent reads it in place at the address it wrote it
//! to, and once the parent's view is gone it sends a release notice (a sample
//! whose first word has [`RELEASES`] set, then the sequence numbers released)
//! ahead of its next payload, so the worker unpins it.

use core::mem::MaybeUninit;
use iceoryx2::port::LoanError;
use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::*;
use iceoryx2::sample::Sample;
use iceoryx2::sample_mut_uninit::SampleMutUninit;
use iceoryx2::service::ipc_threadsafe;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::ChannelError;

/// Bytes before a payload in its sample: its sequence number (u64 LE).
pub const SEQ_BYTES: usize = 8;

/// The flag of a release notice's first word (no sequence number reaches it).
pub const RELEASES: u64 = 1 << 63;

/// How the services of a channel are configured; the worker opens them with the same values.
#[derive(Debug, Clone, Copy)]
pub struct ChannelConfig {
    /// Samples per publisher segment: few, so released samples are reused
    /// (their pages already touched) rather than cycled through hundreds of
    /// fresh ones (the segment grows when the receiver holds more). Also the
    /// most payloads one message carries; a subscriber may hold as many, and
    /// queue twice as many.
    pub samples: usize,
    /// The slice length a publisher starts with; larger loans grow its segment (power of two).
    pub initial_slice_len: usize,
}

/// A received sample.
pub type ReceivedSample = Sample<ipc_threadsafe::Service, [u8], ()>;

/// A sample loaned to be filled in place (its payload after the sequence
/// number), then sent with [`Channel::send_loan`] or dropped unsent.
pub struct Loan {
    sample: SampleMutUninit<ipc_threadsafe::Service, [MaybeUninit<u8>], ()>,
}

impl Loan {
    /// The first byte of the payload (whose bytes may be read and written until it is sent).
    pub fn data(&mut self) -> *mut u8 {
        self.sample.payload_mut()[SEQ_BYTES..].as_mut_ptr().cast()
    }

    /// The payload's length.
    pub fn len(&self) -> usize {
        self.sample.payload().len() - SEQ_BYTES
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The parent's end of one worker's payload channel.
pub struct Channel {
    publisher: Publisher<ipc_threadsafe::Service, [u8], ()>,
    subscriber: Subscriber<ipc_threadsafe::Service, [u8], ()>,
    node: Node<ipc_threadsafe::Service>,
    next_seq: u64,
    /// Where each payload sent is (its address and length), by sequence
    /// number, while its memory may still be the worker's: an entry goes when
    /// a new sample is loaned at the same address.
    sent: HashMap<u64, (usize, usize)>,
    /// The sequence number last sent from each sample address.
    by_address: HashMap<usize, u64>,
    /// Shared references whose view is gone, told to the worker with the next payload.
    releases: Releases,
}

/// The shared references whose view is gone (pushed from wherever the view is dropped).
pub type Releases = Arc<Mutex<Vec<u64>>>;

/// A payload of the parent the worker refers to: its bytes stay mapped and
/// unchanged while the worker holds the pin the reference carries.
#[derive(Debug, Clone, Copy)]
pub struct Shared {
    /// The first byte.
    pub address: usize,
    /// How many bytes.
    pub len: usize,
}

/// The iceoryx2 config of a channel: its own resource prefix and root path;
/// a subscriber keeps the samples of a gone publisher up to `max_borrowed`.
pub fn config(prefix: &str, root: &str, max_borrowed: usize) -> Result<Config, ChannelError> {
    let mut config = Config::default();
    config
        .defaults
        .publish_subscribe
        .subscriber_expired_connection_buffer = max_borrowed;
    config.global.prefix = FileName::new(prefix.as_bytes())
        .map_err(|e| ChannelError::Config(format!("prefix {prefix:?}: {e:?}")))?;
    let root = Path::new(root.as_bytes())
        .map_err(|e| ChannelError::Config(format!("root {root:?}: {e:?}")))?;
    config.global.set_root_path(&root);
    Ok(config)
}

fn service_name(name: &str, direction: &str) -> Result<ServiceName, ChannelError> {
    let full = format!("{name}/{direction}");
    ServiceName::new(&full)
        .map_err(|e| ChannelError::Config(format!("service name {full:?}: {e:?}")))
}

impl Channel {
    /// Creates the node and both services (the worker opens them), and this side's ports.
    pub fn open(
        prefix: &str,
        root: &str,
        name: &str,
        settings: ChannelConfig,
    ) -> Result<Self, ChannelError> {
        set_log_level_from_env_or(LogLevel::Error);
        let config = config(prefix, root, settings.samples)?;
        let node = NodeBuilder::new()
            .config(&config)
            .create::<ipc_threadsafe::Service>()
            .map_err(|e| ChannelError::Open(format!("node: {e:?}")))?;
        let service = |direction: &str| {
            node.service_builder(&service_name(name, direction)?)
                .publish_subscribe::<[u8]>()
                .enable_safe_overflow(false)
                // Senders put at most `samples` payloads in one message (more go in the frame):
                // with twice that, the payloads of a message never find the queue full.
                .subscriber_max_buffer_size(2 * settings.samples)
                .subscriber_max_borrowed_samples(settings.samples)
                .history_size(0)
                .max_publishers(1)
                .max_subscribers(1)
                .max_nodes(2)
                .payload_alignment(Alignment::new(64).expect("64 is a power of two"))
                .open_or_create()
                .map_err(|e| ChannelError::Open(format!("service {name}/{direction}: {e:?}")))
        };
        let requests = service("req")?;
        let replies = service("rep")?;
        let publisher = requests
            .publisher_builder()
            .initial_max_slice_len(settings.initial_slice_len)
            .allocation_strategy(AllocationStrategy::PowerOfTwo)
            .backpressure_strategy(BackpressureStrategy::DiscardData)
            .override_sample_preallocation(move |_| settings.samples)
            // Besides the one being written, `samples / 2` payloads filled in place (loaned
            // by JavaScript) may be outstanding.
            .max_loaned_samples(1 + settings.samples / 2)
            .create()
            .map_err(|e| ChannelError::Open(format!("publisher: {e:?}")))?;
        let subscriber = replies
            .subscriber_builder()
            .create()
            .map_err(|e| ChannelError::Open(format!("subscriber: {e:?}")))?;
        Ok(Self {
            publisher,
            subscriber,
            node,
            next_seq: 0,
            sent: HashMap::new(),
            by_address: HashMap::new(),
            releases: Releases::default(),
        })
    }

    /// Writes `data` into a new sample and sends it; returns its sequence
    /// number, or None when every sample is in use (the caller sends the
    /// payload another way). Fails (never truncates, never drops silently)
    /// when no sample of that size can be made or the worker's queue is full.
    pub fn publish(&mut self, data: &[u8]) -> Result<Option<u64>, ChannelError> {
        let Some(mut loan) = self.loan(data.len())? else {
            return Ok(None);
        };
        loan.sample.payload_mut()[SEQ_BYTES..].write_copy_of_slice(data);
        self.send_loan(loan).map(Some)
    }

    /// A sample with a payload of `len` bytes, to fill in place; None when every sample is in use.
    pub fn loan(&mut self, len: usize) -> Result<Option<Loan>, ChannelError> {
        match self.publisher.loan_slice_uninit(SEQ_BYTES + len) {
            Ok(sample) => Ok(Some(Loan { sample })),
            Err(LoanError::ExceedsMaxLoans | LoanError::OutOfMemory) => Ok(None),
            Err(e) => Err(ChannelError::Loan {
                bytes: len,
                detail: format!("{e:?}"),
            }),
        }
    }

    /// Sends a loaned sample (after the pending release notices); returns its sequence number.
    pub fn send_loan(&mut self, mut loan: Loan) -> Result<u64, ChannelError> {
        let pending =
            std::mem::take(&mut *self.releases.lock().unwrap_or_else(PoisonError::into_inner));
        if !pending.is_empty() {
            self.send_releases(pending)?;
        }
        let seq = self.next_seq;
        let len = loan.len();
        loan.sample.payload_mut()[..SEQ_BYTES].write_copy_of_slice(&seq.to_le_bytes());
        // SAFETY: the sequence number was written just above; the payload's bytes were
        // written by `publish`, or by whoever filled the loan in place, or are what the
        // segment held (shared memory is zero-filled when mapped): bytes are never invalid.
        let sample = unsafe { loan.sample.assume_init() };
        let address = sample.payload().as_ptr() as usize + SEQ_BYTES;
        let delivered = sample
            .send()
            .map_err(|e| ChannelError::Send(format!("{e:?}")))?;
        if delivered == 0 {
            return Err(ChannelError::Undelivered { bytes: len });
        }
        if let Some(old) = self.by_address.insert(address, seq) {
            self.sent.remove(&old);
        }
        self.sent.insert(seq, (address, len));
        self.next_seq += 1;
        Ok(seq)
    }

    /// Sends release notices in one sample (kept for the next payload when no sample can be
    /// loaned now).
    fn send_releases(&mut self, pending: Vec<u64>) -> Result<(), ChannelError> {
        let bytes = SEQ_BYTES * (1 + pending.len());
        let mut sample = match self.publisher.loan_slice_uninit(bytes) {
            Ok(sample) => sample,
            Err(LoanError::ExceedsMaxLoans | LoanError::OutOfMemory) => {
                self.releases
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(pending);
                return Ok(());
            }
            Err(e) => {
                return Err(ChannelError::Loan {
                    bytes,
                    detail: format!("{e:?}"),
                });
            }
        };
        let payload: &mut [MaybeUninit<u8>] = sample.payload_mut();
        let count = pending.len() as u64;
        payload[..SEQ_BYTES].write_copy_of_slice(&(RELEASES | count).to_le_bytes());
        for (slot, seq) in payload[SEQ_BYTES..]
            .chunks_exact_mut(SEQ_BYTES)
            .zip(&pending)
        {
            slot.write_copy_of_slice(&seq.to_le_bytes());
        }
        // SAFETY: the first word and one word per release were written just above (`bytes`).
        let sample = unsafe { sample.assume_init() };
        let delivered = sample
            .send()
            .map_err(|e| ChannelError::Send(format!("{e:?}")))?;
        if delivered == 0 {
            return Err(ChannelError::Undelivered { bytes });
        }
        Ok(())
    }

    /// Payload `seq`, whose bytes `offset .. offset + len` the worker refers to (it holds it).
    pub fn shared(&self, seq: u64, offset: usize, len: usize) -> Result<Shared, ChannelError> {
        let &(address, size) = self.sent.get(&seq).ok_or(ChannelError::Missing { seq })?;
        if offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(ChannelError::Outside {
                seq,
                offset,
                len,
                size,
            });
        }
        Ok(Shared { address, len: size })
    }

    /// Where the views of shared references record that they are gone (by sequence number).
    pub fn releases(&self) -> Releases {
        Arc::clone(&self.releases)
    }

    /// The sample with sequence number `seq`: older samples (of messages the
    /// worker never finished sending) are dropped; a missing one is an error.
    pub fn take(&self, seq: u64) -> Result<ReceivedSample, ChannelError> {
        loop {
            let sample = self
                .subscriber
                .receive()
                .map_err(|e| ChannelError::Receive(format!("{e:?}")))?
                .ok_or(ChannelError::Missing { seq })?;
            let got = sequence_of(sample.payload()).ok_or(ChannelError::Missing { seq })?;
            if got == seq {
                return Ok(sample);
            }
            if got > seq {
                return Err(ChannelError::Missing { seq });
            }
        }
    }

    /// How many nodes of this channel's config iceoryx2 lists as dead (a crashed worker);
    /// their resources are removed.
    pub fn cleanup_dead_nodes(&self) -> usize {
        let state = self.node.try_cleanup_dead_nodes();
        state.cleanups as usize
    }
}

/// The sequence number a sample's payload starts with.
pub fn sequence_of(payload: &[u8]) -> Option<u64> {
    let head: [u8; SEQ_BYTES] = payload.get(..SEQ_BYTES)?.try_into().ok()?;
    Some(u64::from_le_bytes(head))
}

/// Where POSIX shared memory lives (iceoryx2 names its files there `<prefix>...`).
const SHM_DIR: &str = "/dev/shm";

/// Removes what a channel's nodes left: the shared-memory files named
/// `<prefix>*` and the `root` directory. Call it once every node under the
/// prefix is gone (closed, or its process dead). Returns how many entries of
/// the shared-memory directory were removed.
pub fn remove_resources(prefix: &str, root: &str) -> std::io::Result<usize> {
    let mut removed = 0;
    if let Ok(entries) = std::fs::read_dir(SHM_DIR) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    match std::fs::remove_dir_all(root) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(removed),
    }
}
