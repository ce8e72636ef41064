//! CPython embedded in the Node.js process.
//!
//! One interpreter per process runs on dedicated threads ([`runtime`]);
//! callers hand them jobs and get results back without ever holding the
//! GIL; awaitable results are awaited on one event loop ([`ops::await_on_loop`]). Values cross as [`value::Value`] and are converted on
//! the Python thread ([`convert`]); tensor and audio memory is lent, not
//! copied ([`buffer`], [`value::PyBufferLease`]). Python references that
//! die elsewhere are released on the Python thread ([`handle`]). A caller
//! can ask a running call to stop early through a [`cancel`] flag.
//!
//! Everything but the Node-API edge (`node`, behind the `napi-support`
//! feature) is plain Rust, tested with `cargo test`.

#![deny(clippy::all)]

pub mod buffer;
pub mod cancel;
pub mod convert;
pub mod embed;
pub mod error;
pub mod handle;
pub mod jscall;
pub mod ops;
pub mod runtime;
pub mod settle;
pub mod value;

#[cfg(feature = "napi-support")]
mod node;

pub use error::{BridgeError, PythonException};

#[cfg(test)]
mod tests;
