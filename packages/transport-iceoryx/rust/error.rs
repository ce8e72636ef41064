//! The one error type of the crate; it becomes a JS `Error` only at the Node-API edge.

use thiserror::Error;

/// What can go wrong on a payload channel.
#[derive(Debug, Error)]
pub enum ChannelError {
    /// A prefix, root path or service name iceoryx2 does not accept.
    #[error("invalid iceoryx2 configuration: {0}")]
    Config(String),
    /// The node, a service or a port could not be created or opened.
    #[error("cannot open the iceoryx2 payload channel: {0}")]
    Open(String),
    /// No shared-memory sample of this size could be loaned (segment growth failed).
    #[error("cannot loan a shared-memory sample for a payload of {bytes} bytes: {detail}")]
    Loan {
        /// The payload's size.
        bytes: usize,
        /// iceoryx2's reason.
        detail: String,
    },
    /// iceoryx2 refused to send a sample.
    #[error("cannot send a shared-memory sample: {0}")]
    Send(String),
    /// The worker's queue was full (or it is gone): the payload was not delivered.
    #[error(
        "a payload of {bytes} bytes was not delivered: the worker's shared-memory queue is full or it is gone"
    )]
    Undelivered {
        /// The payload's size.
        bytes: usize,
    },
    /// iceoryx2 failed to receive (e.g. too many samples still in use).
    #[error("cannot receive a shared-memory sample: {0}")]
    Receive(String),
    /// A payload a frame refers to is not in the queue.
    #[error("payload {seq} is missing from shared memory")]
    Missing {
        /// Its sequence number.
        seq: u64,
    },
    /// A shared reference outside the payload it names.
    #[error(
        "a shared reference to bytes {offset}..+{len} of payload {seq} is outside its {size} bytes"
    )]
    Outside {
        /// The payload's sequence number.
        seq: u64,
        /// Where the reference starts.
        offset: usize,
        /// Its length.
        len: usize,
        /// The payload's length.
        size: usize,
    },
}
