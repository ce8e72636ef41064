//! [`Value`]: the neutral form a value takes while it crosses between the JS
//! thread and the Python thread.
//!
//! Neither side may touch the other's heap from the wrong thread (the JS
//! thread never holds the GIL; the Python thread never calls Node-API), so a
//! JS value is first read into a `Value` on the JS thread and built into a
//! Python object on the Python thread, and the reverse for results. Scalars
//! and strings are copied; typed-array and ndarray memory is not: it travels
//! as a pointer plus an owner that keeps it alive ([`ForeignMemory`] for JS
//! memory lent to Python, [`PyBufferLease`] for Python memory lent to JS).

use std::any::Any;
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use pyo3::buffer::PyUntypedBuffer;

use crate::cancel::CancelFlag;
use crate::handle::{PyHandle, PythonBound};

/// The element types a tensor can hold, named as numpy (and core's `DType`)
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
}

impl DType {
    /// Every dtype.
    pub const ALL: [DType; 10] = [
        DType::Float32,
        DType::Float64,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int64,
        DType::Uint8,
        DType::Uint16,
        DType::Uint32,
        DType::Uint64,
    ];

    /// The numpy / core name, e.g. `float32`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Int8 => "int8",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Uint8 => "uint8",
            DType::Uint16 => "uint16",
            DType::Uint32 => "uint32",
            DType::Uint64 => "uint64",
        }
    }

    /// Bytes per element.
    pub fn item_size(self) -> usize {
        match self {
            DType::Int8 | DType::Uint8 => 1,
            DType::Int16 | DType::Uint16 => 2,
            DType::Float32 | DType::Int32 | DType::Uint32 => 4,
            DType::Float64 | DType::Int64 | DType::Uint64 => 8,
        }
    }

    /// Parses a numpy / core name.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Reads a buffer-protocol format (`struct` module syntax, as numpy
    /// exports it: `f`, `<d`, `=q`, `l`, ...) with the exporter's item size.
    /// Only native byte order, single elements and the ten dtypes qualify;
    /// the kind comes from the character and the width from `item_size`
    /// (`l` is 8 bytes natively but 4 in standard mode).
    pub fn from_buffer_format(format: &[u8], item_size: usize) -> Option<DType> {
        let code = match format {
            [c] | [b'@' | b'=', c] => *c,
            [b'<', c] if cfg!(target_endian = "little") => *c,
            [b'>' | b'!', c] if cfg!(target_endian = "big") => *c,
            _ => return None,
        };
        let dtype = match (code, item_size) {
            (b'f', 4) => DType::Float32,
            (b'd', 8) => DType::Float64,
            (b'b' | b'h' | b'i' | b'l' | b'q' | b'n', size) => match size {
                1 => DType::Int8,
                2 => DType::Int16,
                4 => DType::Int32,
                8 => DType::Int64,
                _ => return None,
            },
            (b'B' | b'H' | b'I' | b'L' | b'Q' | b'N', size) => match size {
                1 => DType::Uint8,
                2 => DType::Uint16,
                4 => DType::Uint32,
                8 => DType::Uint64,
                _ => return None,
            },
            _ => return None,
        };
        Some(dtype)
    }
}

/// An integer beyond `i64`: sign and magnitude as little-endian 64-bit words
/// (the layout of `napi_get_value_bigint_words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigInt {
    /// True for negative values.
    pub negative: bool,
    /// The magnitude, least significant word first.
    pub words: Vec<u64>,
}

impl BigInt {
    /// The magnitude as little-endian bytes, without high zero bytes.
    pub fn magnitude_bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        bytes
    }

    /// Builds from a sign and little-endian magnitude bytes.
    pub fn from_magnitude_bytes(negative: bool, bytes: &[u8]) -> BigInt {
        let words = bytes
            .chunks(8)
            .map(|chunk| {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                u64::from_le_bytes(word)
            })
            .collect();
        BigInt { negative, words }
    }
}

/// Where lent memory came from (for the Node edge: the JS `ArrayBuffer`),
/// opaque to the Python side. It keeps the memory alive while held.
pub type Origin = Arc<dyn Any + Send + Sync>;

/// Memory owned outside Python (a JS typed array, or a private copy) that
/// numpy may view without copying. The owner keeps it valid and is dropped
/// only when Python no longer views it.
pub struct ForeignMemory {
    ptr: NonNull<u8>,
    len: usize,
    _owner: Box<dyn Send>,
    origin: Option<Origin>,
}

// SAFETY: the pointer is only dereferenced by numpy through the buffer
// protocol, under the GIL; `ForeignMemory::new`'s contract makes the memory
// valid for as long as the (Send) owner lives, on any thread.
unsafe impl Send for ForeignMemory {}
// SAFETY: `ForeignMemory` exposes no interior mutability of its own; shared
// references only read the pointer and length.
unsafe impl Sync for ForeignMemory {}

impl ForeignMemory {
    /// Wraps memory owned by `owner`.
    ///
    /// # Safety
    /// `ptr..ptr + len` must be valid for reads and writes, aligned for the
    /// element type it will be viewed as, and must neither move nor be freed
    /// while `owner` is alive.
    pub unsafe fn new(ptr: NonNull<u8>, len: usize, owner: Box<dyn Send>) -> ForeignMemory {
        ForeignMemory {
            ptr,
            len,
            _owner: owner,
            origin: None,
        }
    }

    /// Records where the memory came from, so a view of it that comes back
    /// can be handed out as the original memory (see [`Memory::Origin`]).
    /// The origin must keep the memory alive while it is held.
    pub fn with_origin(mut self, origin: Origin) -> ForeignMemory {
        self.origin = Some(origin);
        self
    }

    /// Where the memory came from, if recorded.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// A private, 8-byte aligned copy of `bytes` (for values that must not
    /// alias their source).
    pub fn copied(bytes: &[u8]) -> ForeignMemory {
        let mut storage = vec![0u64; bytes.len().div_ceil(8)];
        let ptr = NonNull::new(storage.as_mut_ptr().cast::<u8>()).unwrap_or(NonNull::dangling());
        // SAFETY: `storage` holds at least `bytes.len()` bytes, does not
        // overlap `bytes`, and both are valid for that many bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        // SAFETY: a Vec's heap buffer does not move when the Vec is moved into
        // the Box, and it lives as long as the owner; u64 storage is aligned
        // for every dtype.
        unsafe { ForeignMemory::new(ptr, bytes.len(), Box::new(storage)) }
    }

    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A held buffer-protocol view of a Python object's memory (a C-contiguous,
/// writable ndarray). While the lease lives the exporter cannot resize or
/// free it; the lease is released on the Python thread.
pub struct PyBufferLease {
    buffer: PythonBound<PyUntypedBuffer>,
}

impl PyBufferLease {
    /// Wraps a buffer obtained on the Python thread.
    pub fn new(buffer: PyUntypedBuffer) -> PyBufferLease {
        PyBufferLease {
            buffer: PythonBound::new(buffer),
        }
    }

    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.buffer.buf_ptr().cast()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.buffer.len_bytes()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A range of lent memory coming back from Python (a numpy view of a JS
/// array returned to JS): the original memory plus where in it.
pub struct OriginRange {
    /// The origin of the lent memory; keeps it alive.
    pub origin: Origin,
    /// Byte offset of the range in the lent memory.
    pub offset: usize,
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the pointer is into memory that `origin` (Send + Sync) keeps
// alive; it is only read (to copy) while the range is held.
unsafe impl Send for OriginRange {}

impl OriginRange {
    /// A range of `memory` (which must have an origin) at `ptr..ptr + len`;
    /// `None` unless the range lies within it.
    pub fn within(memory: &ForeignMemory, ptr: *const u8, len: usize) -> Option<OriginRange> {
        let origin = memory.origin()?.clone();
        let start = memory.as_ptr() as usize;
        let at = ptr as usize;
        let inside = at >= start && at.checked_add(len)? <= start + memory.len();
        inside.then(|| OriginRange {
            origin,
            offset: at - start,
            ptr: NonNull::new(ptr.cast_mut()).unwrap_or(NonNull::dangling()),
            len,
        })
    }
}

/// Where an array's bytes live.
pub enum Memory {
    /// Outside Python (JS or a private copy); numpy gets a view.
    Foreign(ForeignMemory),
    /// Inside a Python object; JS gets a view.
    Python(PyBufferLease),
    /// Lent memory seen again: JS gets (a view of) the original back.
    Origin(OriginRange),
}

impl Memory {
    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        match self {
            Memory::Foreign(m) => m.as_ptr(),
            Memory::Python(m) => m.as_ptr(),
            Memory::Origin(r) => r.ptr.as_ptr(),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Memory::Foreign(m) => m.len(),
            Memory::Python(m) => m.len(),
            Memory::Origin(r) => r.len,
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A C-contiguous n-dimensional array: core's `Tensor`, numpy's `ndarray`.
pub struct NdArray {
    /// Element type.
    pub dtype: DType,
    /// Dimensions, row-major.
    pub shape: Vec<usize>,
    /// The bytes (`product(shape) * item_size` of them).
    pub memory: Memory,
}

impl NdArray {
    /// Checks that the memory holds exactly `product(shape)` elements.
    pub fn validate(&self) -> Result<(), String> {
        let count = self
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| "shape overflows".to_string())?;
        let expected = count
            .checked_mul(self.dtype.item_size())
            .ok_or_else(|| "shape overflows".to_string())?;
        if expected != self.memory.len() {
            return Err(format!(
                "shape {:?} of {} needs {} bytes but the data holds {}",
                self.shape,
                self.dtype.name(),
                expected,
                self.memory.len()
            ));
        }
        Ok(())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.memory.len() / self.dtype.item_size()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A value in transit between JS and Python (see the module doc).
pub enum Value {
    /// `null` / `undefined` / `None`.
    None,
    /// `boolean` / `bool`.
    Bool(bool),
    /// An integer that fits `i64` (JS: a number when |x| <= 2^53 - 1, else a bigint).
    Int(i64),
    /// An integer beyond `i64` (JS bigint).
    BigInt(BigInt),
    /// A float (JS number that is not a safe integer).
    Float(f64),
    /// A string.
    Str(String),
    /// A string with unpaired surrogates, as UTF-16 code units (JS strings
    /// and Python `str` both allow them; UTF-8 does not).
    Utf16(Vec<u16>),
    /// `Uint8Array` / `bytes` (copied).
    Bytes(Vec<u8>),
    /// `Array` / `list` (Python tuples arrive here too).
    List(Vec<Value>),
    /// A plain object / a `dict` with `str` keys, in insertion order.
    Dict(Vec<(String, Value)>),
    /// core `Tensor` / numpy `ndarray`.
    Array(NdArray),
    /// core `Audio` / `remotemedia.Audio` (samples are a 1-D float32 array).
    Audio {
        /// Interleaved float32 samples.
        samples: NdArray,
        /// Samples per second.
        sample_rate: u32,
        /// Channel count.
        channels: u32,
    },
    /// core `VideoFrame` / `remotemedia.VideoFrame`.
    VideoFrame {
        /// Pixel bytes (copied).
        data: Vec<u8>,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Pixel format name, e.g. `rgb24`.
        format: String,
    },
    /// A live Python object (a handle from JS, or an opaque result).
    Object(PyHandle),
    /// A cancellation token (JS `CancelToken` / Python `CancelToken`), sharing its flag.
    Cancel(CancelFlag),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => write!(f, "None"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::BigInt(b) => write!(f, "BigInt({b:?})"),
            Value::Float(x) => write!(f, "Float({x})"),
            Value::Str(s) => write!(f, "Str({s:?})"),
            Value::Utf16(u) => write!(f, "Utf16({u:?})"),
            Value::Bytes(b) => write!(f, "Bytes({b:?})"),
            Value::List(items) => f.debug_list().entries(items).finish(),
            Value::Dict(entries) => f
                .debug_map()
                .entries(entries.iter().map(|(k, v)| (k, v)))
                .finish(),
            Value::Array(a) => write!(f, "Array({}, {:?})", a.dtype.name(), a.shape),
            Value::Audio {
                samples,
                sample_rate,
                channels,
            } => write!(
                f,
                "Audio({} samples, {sample_rate} Hz, {channels} ch)",
                samples.len()
            ),
            Value::VideoFrame {
                width,
                height,
                format,
                ..
            } => write!(f, "VideoFrame({width}x{height} {format})"),
            Value::Object(h) => write!(f, "Object({})", h.type_name()),
            Value::Cancel(c) => write!(f, "Cancel({})", c.is_cancelled()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_formats_map_to_dtypes_by_kind_and_width() {
        assert_eq!(DType::from_buffer_format(b"f", 4), Some(DType::Float32));
        assert_eq!(DType::from_buffer_format(b"<d", 8), Some(DType::Float64));
        assert_eq!(DType::from_buffer_format(b"l", 8), Some(DType::Int64));
        assert_eq!(DType::from_buffer_format(b"=l", 4), Some(DType::Int32));
        assert_eq!(DType::from_buffer_format(b"q", 8), Some(DType::Int64));
        assert_eq!(DType::from_buffer_format(b"B", 1), Some(DType::Uint8));
        assert_eq!(DType::from_buffer_format(b"H", 2), Some(DType::Uint16));
        assert_eq!(DType::from_buffer_format(b"b", 1), Some(DType::Int8));
        assert_eq!(
            DType::from_buffer_format(b"e", 2),
            None,
            "float16 is not a core dtype"
        );
        assert_eq!(
            DType::from_buffer_format(b"?", 1),
            None,
            "bool is not a core dtype"
        );
        assert_eq!(
            DType::from_buffer_format(b"Zf", 8),
            None,
            "complex is not a core dtype"
        );
        assert_eq!(
            DType::from_buffer_format(b">f", 4),
            None,
            "foreign byte order"
        );
        assert_eq!(DType::from_buffer_format(b"T{f:x:}", 4), None, "structs");
    }

    #[test]
    fn dtype_names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()), Some(d));
        }
        assert_eq!(DType::from_name("float16"), None);
    }

    #[test]
    fn bigint_bytes_round_trip() {
        let b = BigInt {
            negative: true,
            words: vec![u64::MAX, 1],
        };
        let bytes = b.magnitude_bytes();
        assert_eq!(bytes.len(), 9);
        assert_eq!(BigInt::from_magnitude_bytes(true, &bytes), b);
    }

    #[test]
    fn copied_memory_is_aligned_and_equal() {
        let src: Vec<u8> = (0..=255).collect();
        let m = ForeignMemory::copied(&src);
        assert_eq!(m.len(), 256);
        assert_eq!(m.as_ptr() as usize % 8, 0);
        // SAFETY: `m` owns 256 initialized bytes at `as_ptr()`.
        let view = unsafe { std::slice::from_raw_parts(m.as_ptr(), m.len()) };
        assert_eq!(view, &src[..]);
        assert!(ForeignMemory::copied(&[]).is_empty());
    }
}
