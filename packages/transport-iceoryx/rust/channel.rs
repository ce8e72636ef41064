//! One worker's payload channel: an iceoryx2 node of its own (private prefix
//! and root path), a publisher on `<name>/req` (parent -> worker) and a
//! subscriber on `<name>/rep` (worker -> parent), `[u8]` slices.
//!
//! A payload is one sample: an 8-byte little-endian sequence number, then the
//! bytes. The frame on the control pipe that refers to a payload names its
//! sequence number; the receiver takes samples in order, drops the ones of
//! messages that were never sent whole (older numbers), and fails on a gap.

use core::mem::MaybeUninit;
use iceoryx2::port::LoanError;
use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::*;
use iceoryx2::sample::Sample;
use iceoryx2::service::ipc_threadsafe;

use crate::error::ChannelError;

/// Bytes before a payload in its sample: its sequence number (u64 LE).
pub const SEQ_BYTES: usize = 8;

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

/// The parent's end of one worker's payload channel.
pub struct Channel {
    publisher: Publisher<ipc_threadsafe::Service, [u8], ()>,
    subscriber: Subscriber<ipc_threadsafe::Service, [u8], ()>,
    node: Node<ipc_threadsafe::Service>,
    next_seq: u64,
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
        })
    }

    /// Writes `data` into a new sample and sends it; returns its sequence
    /// number, or None when every sample is in use (the caller sends the
    /// payload another way). Fails (never truncates, never drops silently)
    /// when no sample of that size can be made or the worker's queue is full.
    pub fn publish(&mut self, data: &[u8]) -> Result<Option<u64>, ChannelError> {
        let seq = self.next_seq;
        let mut sample = match self.publisher.loan_slice_uninit(SEQ_BYTES + data.len()) {
            Ok(sample) => sample,
            Err(LoanError::ExceedsMaxLoans | LoanError::OutOfMemory) => return Ok(None),
            Err(e) => {
                return Err(ChannelError::Loan {
                    bytes: data.len(),
                    detail: format!("{e:?}"),
                });
            }
        };
        let payload: &mut [MaybeUninit<u8>] = sample.payload_mut();
        payload[..SEQ_BYTES].write_copy_of_slice(&seq.to_le_bytes());
        payload[SEQ_BYTES..].write_copy_of_slice(data);
        // SAFETY: every byte of the payload was written just above (SEQ_BYTES + data.len()).
        let sample = unsafe { sample.assume_init() };
        let delivered = sample
            .send()
            .map_err(|e| ChannelError::Send(format!("{e:?}")))?;
        if delivered == 0 {
            return Err(ChannelError::Undelivered { bytes: data.len() });
        }
        self.next_seq += 1;
        Ok(Some(seq))
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
