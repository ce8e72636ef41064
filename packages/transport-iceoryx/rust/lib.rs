//! iceoryx2 shared-memory payload channels between Node.js and the
//! `python -m remotemedia.worker` subprocesses of `@remotemedia/transport-iceoryx`.
//!
//! Control messages stay on the worker protocol's pipe and socket; the large
//! raw parts of their values (tensors, audio, video frames, pickles) travel
//! as samples of two publish-subscribe services per worker ([`channel`]); the
//! parent's samples can also be filled in place (loans) and referred to by
//! both sides without a copy (shared references, released by notice).
//!
//! Everything but the Node-API edge (`node`, behind the `napi-support`
//! feature) is plain Rust, tested with `cargo test`.

#![deny(clippy::all)]

pub mod channel;
pub mod error;

#[cfg(feature = "napi-support")]
mod node;

pub use channel::{Channel, ChannelConfig};
pub use error::ChannelError;

/// The iceoryx2 version this crate is built with (the worker's wheel must match it).
pub fn iceoryx2_version() -> String {
    iceoryx2_bb_elementary::package_version::PackageVersion::get().to_string()
}

#[cfg(test)]
mod tests;
