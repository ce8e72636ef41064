"""RuntimeData <-> msgpack, as PROTOCOL.md ("Data encoding") specifies.

Plain values use msgpack's own types: str, int (64-bit), float, bool, None,
bytes (bin), lists and dicts. Everything else is an extension value:

====  ===========  ==================================================
code  Python       payload
====  ===========  ==================================================
1     np.ndarray   media layout: header ``[dtype, shape]``, raw little-endian elements
2     Audio        media layout: header ``[sample_rate, channels]``, float32 samples
3     VideoFrame   media layout: header ``[width, height, format]``, pixel bytes
4     any object   media layout: header ``[type_name]``, a cloudpickle of the object
66    int          two's-complement big-endian bytes (ints beyond 64 bits)
====  ===========  ==================================================

A media payload is inline, ``u32 O | msgpack header | zero padding | raw
bytes from offset O``, or (only in a *split body*, ``0xC1 | u32 M | map |
tail``) a tail reference, ``u32 0 | u32 start | u32 length | msgpack
header``, naming raw bytes in the frame body's tail, or (only with a payload
channel beside the frames, :class:`Blobs`) a blob reference, ``u32 1 | u32
seq | u32 length | msgpack header``, naming the channel's payload ``seq``, or a shared
reference, ``u32 2 | u32 seq | u32 length | u32 offset | msgpack header``, naming
bytes of the parent's payload ``seq``, which both sides keep (the parent sends a payload
it keeps a view of this way; the worker answers with an input it holds this way).
Decoding, msgpack hands
an inline payload to the hook as a ``bytes`` copy of its own, read in place
with :func:`numpy.frombuffer`; a tail reference is read in place in the frame
body, with no copy at all. Either way arrays are read-only views. numpy is
imported by the first tensor or audio value, not before.

Sending, every payload is inline (this encoder never writes split bodies),
and large raw parts (:data:`BLOB_THRESHOLD` bytes and up) are never copied:
:func:`encode_parts` packs the message with a small placeholder in their
place, then splices the array's own memory in as a separate buffer for
``os.writev``, choosing O so the raw bytes start 8-aligned from the start of
the frame body (the TypeScript side reads a large frame into a buffer of its
own and takes typed-array views of it).
"""

from __future__ import annotations

import functools
import io
import os
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

import cloudpickle
import msgpack

from ..data import Audio, VideoFrame

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BLOB_THRESHOLD",
    "EXT_AUDIO",
    "EXT_BIGINT",
    "EXT_PICKLE",
    "EXT_TENSOR",
    "EXT_VIDEO",
    "SPLIT_BODY",
    "TENSOR_DTYPES",
    "Blobs",
    "CodecError",
    "MalformedFrame",
    "decode",
    "decode_envelope",
    "encode",
    "encode_parts",
]

EXT_TENSOR: Final = 1
EXT_AUDIO: Final = 2
EXT_VIDEO: Final = 3
EXT_PICKLE: Final = 4
EXT_BIGINT: Final = 0x42

TENSOR_DTYPES: Final = frozenset(
    {"float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
)
"""The element types that cross as tensors (the TypeScript ``DType`` names); other arrays pickle."""

BLOB_THRESHOLD: Final = 64 * 1024
"""Raw parts of at least this many bytes are sent from their own memory, without a copy."""

SPLIT_BODY: Final = 0xC1
"""The first byte of a split body (the one byte msgpack never uses)."""

_U32 = struct.Struct(">I")
_TAIL_REF = struct.Struct(
    ">III"
)  # a tail reference's 0, start and length (a blob's 1, seq, length)
_BLOB_REF: Final = 1
_SHARED_REF: Final = 2
_SHARED = struct.Struct(">IIII")  # a shared reference's 2, seq, length and offset
_LITTLE = sys.byteorder == "little"
_TOKEN: Final = b"\xc1RMBLOB" + os.urandom(9)  # 16 bytes no encoding produces by chance


class CodecError(ValueError):
    """A value could not be encoded, or bytes are not a valid encoding."""


class MalformedFrame(CodecError):
    """A split body's own structure is broken: a malformed frame, which is a protocol error."""


class Blobs(Protocol):
    """A payload channel beside the frames (shared memory): raw parts of ``threshold`` bytes and
    up are ``put`` there when a message is encoded and ``take``-n back, in order, when one that
    refers to them is decoded."""

    @property
    def threshold(self) -> int: ...

    @property
    def capacity(self) -> int:
        """The most payloads one message carries through the channel (more go in the frame)."""
        ...

    def put(self, raw: Any) -> int:
        """Send ``raw``; its sequence number. Raises :class:`CodecError` when it cannot."""
        ...

    def take(self, seq: int, length: int) -> memoryview:
        """The payload ``seq`` (``length`` bytes); raises :class:`MalformedFrame` when missing."""
        ...

    def take_shared(self, seq: int, offset: int, length: int) -> memoryview:
        """Bytes ``offset .. offset + length`` of the parent's payload ``seq``, which it keeps
        a view of (a shared reference); raises :class:`MalformedFrame` when missing."""
        ...

    def share(self, raw: Any) -> tuple[int, int] | None:
        """When ``raw`` lies in a payload received and still held, that payload's sequence
        number and where ``raw`` starts in it (the payload is then kept for the other side);
        else None."""
        ...


# ---------------------------------------------------------------------------
# MEDIA LAYOUT
#
# The one payload shape of extensions 1-4: the offset of the raw bytes, a
# small msgpack header, zero padding, then the raw bytes.
# ---------------------------------------------------------------------------


def _header(header: list[Any]) -> bytes:
    packed: bytes = msgpack.packb(header, use_bin_type=True)
    return packed


def _media_payload(header: list[Any], raw: Any) -> bytes:
    """A payload with its raw bytes at the first multiple of 8 after the header."""
    head = _header(header)
    offset = 4 + len(head)
    offset += -offset % 8
    return b"".join((_U32.pack(offset), head, b"\0" * (offset - 4 - len(head)), raw))


_Raw = tuple[list[Any], bytes | memoryview, int, int]
"""A media payload read: its header, then the buffer, offset and length of its raw bytes."""


def _split_media(data: bytes, tail: _Tail | None) -> _Raw:
    """Read a media payload; ``tail`` is the split body being decoded, if any (and its
    payload channel)."""
    if len(data) < 4:
        raise CodecError(f"extension payload of {len(data)} bytes is shorter than its header")
    (offset,) = _U32.unpack_from(data)
    if offset == _BLOB_REF:
        if tail is None or tail.blobs is None:
            raise CodecError("a blob reference (raw offset 1) without a payload channel")
        if len(data) < 13:
            raise CodecError(f"blob reference of {len(data)} bytes is shorter than its header")
        _, seq, length = _TAIL_REF.unpack_from(data)
        header = _read_header(data, 12, len(data))
        return header, tail.blobs.take(seq, length), 0, length
    if offset == _SHARED_REF:
        if tail is None or tail.blobs is None:
            raise CodecError("a shared reference (raw offset 2) without a payload channel")
        if len(data) < 17:
            raise CodecError(f"shared reference of {len(data)} bytes is shorter than its header")
        _, seq, length, start = _SHARED.unpack_from(data)
        header = _read_header(data, 16, len(data))
        return header, tail.blobs.take_shared(seq, start, length), 0, length
    if offset == 0:
        if tail is None or tail.body is None:
            raise CodecError("a tail reference (raw offset 0) outside a split body")
        if len(data) < 13:
            raise CodecError(f"tail reference of {len(data)} bytes is shorter than its header")
        _, start, length = _TAIL_REF.unpack_from(data)
        tail.check(start, length)
        return _read_header(data, 12, len(data)), tail.body, start, length
    if not 5 <= offset <= len(data):
        raise CodecError(f"extension raw offset {offset} is outside its {len(data)}-byte payload")
    return _read_header(data, 4, offset), data, offset, len(data) - offset


def _read_header(data: bytes, start: int, end: int) -> list[Any]:
    try:
        header = msgpack.unpackb(data[start:end], raw=False)
    except msgpack.ExtraData as extra:  # the zero padding after the header
        header = extra.unpacked
    except Exception as exc:
        raise CodecError(f"invalid extension header ({exc})") from exc
    if not isinstance(header, list):
        raise CodecError(f"extension header must be an array, got {type(header).__name__}")
    return header


class _Tail:
    """What references in a body being decoded resolve against: a split body (read-only),
    where its tail starts and the tail references read; and the payload channel, if any."""

    __slots__ = ("blobs", "body", "refs", "start")

    def __init__(self, body: memoryview | None, start: int, blobs: Blobs | None) -> None:
        self.body = body
        self.start = start
        self.refs = 0
        self.blobs = blobs

    def check(self, start: int, length: int) -> None:
        """Raise a :class:`CodecError` unless ``start`` and ``length`` name 8-aligned tail bytes."""
        assert self.body is not None
        size = len(self.body)
        if start < self.start or start + length > size:
            raise CodecError(
                f"tail reference to bytes {start}..{start + length} is outside the tail "
                f"(bytes {self.start}..{size} of the body)"
            )
        if start % 8:
            raise CodecError(f"tail reference start {start} is not a multiple of 8")
        self.refs += 1

    def hook(self, code: int, data: bytes) -> Any:
        return _ext_hook(code, data, self)


# -- large raw parts: placeholders while packing, spliced in afterwards ------

_Pending = list[tuple[bytes, Any]]
"""The header and raw memory of each placeholder an encoder packed."""


def _media(code: int, header: list[Any], raw: Any, encoder: _Encoder) -> msgpack.ExtType:
    """The extension for a media value: a shared reference when its raw part is large and
    lies in a payload the channel holds, a blob reference when it is large and the
    encoder has a payload channel, else a placeholder when it is large and the encoder
    splices, else inline."""
    size = memoryview(raw).nbytes
    blobs = encoder.blobs
    if blobs is not None and size >= blobs.threshold:
        shared = blobs.share(raw)
        if shared is not None:
            seq, offset = shared
            return msgpack.ExtType(
                code, _SHARED.pack(_SHARED_REF, seq, size, offset) + _header(header)
            )
    if blobs is not None and size >= blobs.threshold and encoder.blob_count < blobs.capacity:
        if size > 0xFFFF_FFFF:
            raise CodecError(
                f"a payload of {size} bytes exceeds the 4 GiB limit of a blob reference"
            )
        seq = blobs.put(raw)
        encoder.blob_count += 1
        return msgpack.ExtType(code, _TAIL_REF.pack(_BLOB_REF, seq, size) + _header(header))
    pending = encoder.pending
    if not encoder.splice or size < BLOB_THRESHOLD:
        return msgpack.ExtType(code, _media_payload(header, raw))
    head = _header(header)
    marker = _TOKEN + _U32.pack(len(pending))
    pending.append((head, raw))
    return msgpack.ExtType(code, marker)


def _splice(packed: bytes, pending: _Pending) -> list[Any]:
    """Replace each placeholder extension by its real header, offset and raw memory."""
    parts: list[Any] = []
    view = memoryview(packed)
    position = 0  # in ``packed``
    written = 0  # bytes of the real body so far
    for index, (head, raw) in enumerate(pending):
        at = packed.index(_TOKEN + _U32.pack(index), position)
        # The placeholder payload is 20 bytes, so msgpack wrote an ext8 header: c7 14 <code>.
        ext_start = at - 3
        if packed[ext_start] != 0xC7 or packed[ext_start + 1] != 20:
            raise CodecError("internal error: unexpected placeholder encoding")
        code = packed[at - 1]
        parts.append(view[position:ext_start])
        written += ext_start - position
        raw_view = memoryview(raw).cast("B")
        payload_start = written + 6  # after the ext32 header
        offset = 4 + len(head)
        offset += -(payload_start + offset) % 8  # raw bytes 8-aligned in the frame body
        length = offset + raw_view.nbytes
        if length > 0xFFFF_FFFF:
            raise CodecError(f"a value of {raw_view.nbytes} bytes does not fit in one frame")
        prefix = b"".join(
            (
                b"\xc9",
                _U32.pack(length),
                bytes((code,)),
                _U32.pack(offset),
                head,
                b"\0" * (offset - 4 - len(head)),
            )
        )
        parts.append(prefix)
        parts.append(raw_view)
        written += len(prefix) + raw_view.nbytes
        position = at + 20
    parts.append(view[position:])
    return parts


# ---------------------------------------------------------------------------
# ENCODING
# ---------------------------------------------------------------------------


def _type_name(obj: object) -> str:
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _encode_tensor(array: np.ndarray[Any, Any], encoder: _Encoder) -> msgpack.ExtType | None:
    import numpy as np

    dtype = array.dtype
    if dtype.name not in TENSOR_DTYPES:
        return None
    if dtype.byteorder == ">" or (dtype.byteorder == "=" and not _LITTLE):
        array = array.astype(dtype.newbyteorder("<"))
    array = np.ascontiguousarray(array)
    raw = memoryview(array).cast("B") if array.size else b""  # type: ignore[arg-type]
    return _media(EXT_TENSOR, [dtype.name, list(array.shape)], raw, encoder)


def _encode_pickle(obj: object, encoder: _Encoder) -> msgpack.ExtType:
    # Plain cloudpickle: classes of modules the worker imported go by reference (so the next
    # worker, which can import them too, gets the same class); dynamic ones by value.
    sink = io.BytesIO()
    try:
        cloudpickle.dump(obj, sink, protocol=5)
    except Exception as exc:
        raise CodecError(
            f"cannot send a {_type_name(obj)} to TypeScript: it has no msgpack form and cannot be "
            f"pickled ({type(exc).__name__}: {exc})"
        ) from exc
    return _media(EXT_PICKLE, [_type_name(obj)], sink.getbuffer(), encoder)


def _default(encoder: _Encoder, obj: Any) -> Any:
    """msgpack's hook for values it has no native form for (bound to its encoder)."""
    if isinstance(obj, int) and not isinstance(obj, bool):  # beyond 64 bits
        length = (obj.bit_length() + 8) // 8
        return msgpack.ExtType(EXT_BIGINT, obj.to_bytes(length, "big", signed=True))
    if isinstance(obj, Audio):
        raw = memoryview(obj.samples).cast("B") if obj.samples.size else b""  # type: ignore[arg-type]
        return _media(EXT_AUDIO, [obj.sample_rate, obj.channels], raw, encoder)
    if isinstance(obj, VideoFrame):
        return _media(EXT_VIDEO, [obj.width, obj.height, obj.format], obj.data, encoder)
    if "numpy" in sys.modules:  # no numpy value exists unless numpy was imported
        import numpy as np

        if isinstance(obj, np.ndarray):
            tensor = _encode_tensor(obj, encoder)
            return tensor if tensor is not None else _encode_pickle(obj, encoder)
        if isinstance(obj, (np.bool_, np.integer, np.floating)):
            return obj.item()  # numpy scalars travel as the plain Python value
    return _encode_pickle(obj, encoder)


class _Encoder:
    """A reusable msgpack packer; with ``splice``, it packs large raw parts as placeholders;
    with ``blobs`` (set for one pack), it sends them through that payload channel."""

    __slots__ = ("blob_count", "blobs", "packer", "pending", "splice")

    def __init__(self, splice: bool) -> None:
        self.pending: _Pending = []
        self.splice = splice
        self.blobs: Blobs | None = None
        self.blob_count = 0
        self.packer = msgpack.Packer(
            default=functools.partial(_default, self),
            use_bin_type=True,
            datetime=False,
        )


# Idle encoders. A call takes one and gives it back when done (list.pop and append are
# atomic), so threads never share a packer and no thread-local lookup is needed. An encoder
# whose packing failed is dropped, with whatever state it was left in.
_idle_whole: list[_Encoder] = []
_idle_splicing: list[_Encoder] = []


def _cycle(value: Any) -> str | None:
    """Where ``value``'s lists and dicts refer back to one of their own ancestors, if they do:
    ``value['samples'][2] refers back to value``."""
    path: list[tuple[int, str]] = []

    def walk(node: Any, where: str) -> str | None:
        if not isinstance(node, (list, tuple, dict)):
            return None
        for ancestor, ancestor_where in path:
            if ancestor == id(node):
                return f"{where} refers back to {ancestor_where}"
        path.append((id(node), where))
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            found = walk(child, f"{where}[{key!r}]")
            if found is not None:
                return found
        path.pop()
        return None

    try:
        return walk(value, "value")
    except RecursionError:
        return None


def _pack(
    pool: list[_Encoder], splice: bool, value: Any, blobs: Blobs | None = None
) -> tuple[_Encoder, bytes]:
    """Pack ``value`` with an idle encoder of ``pool`` (or a new one); the caller gives it back."""
    encoder = pool.pop() if pool else _Encoder(splice=splice)
    encoder.blobs = blobs
    encoder.blob_count = 0
    try:
        packed: bytes = encoder.packer.pack(value)
    except CodecError:
        raise
    except Exception as exc:
        cycle = _cycle(value)
        if cycle is not None:
            raise CodecError(
                f"cannot encode value: cyclic data, {cycle} (a cycle cannot be encoded)"
            ) from exc
        raise CodecError(f"cannot encode value ({type(exc).__name__}: {exc})") from exc
    finally:
        encoder.blobs = None
    return encoder, packed


def encode(value: Any) -> bytes:
    """Encode one value (a message or RuntimeData) as msgpack, in one ``bytes``."""
    encoder, packed = _pack(_idle_whole, False, value)
    _idle_whole.append(encoder)
    return packed


def encode_parts(value: Any, blobs: Blobs | None = None) -> list[Any]:
    """Encode one value as buffers to write in order; large raw parts are the values' own memory,
    or, with ``blobs``, those of ``blobs.threshold`` bytes and up go through that channel.

    The concatenation equals a valid msgpack encoding of ``value`` (not
    necessarily the one :func:`encode` gives: raw offsets differ).
    """
    encoder, packed = _pack(_idle_splicing, True, value, blobs)
    pending = encoder.pending
    if pending:
        parts = _splice(packed, pending)
        pending.clear()
    else:
        parts = [packed]
    _idle_splicing.append(encoder)
    return parts


# ---------------------------------------------------------------------------
# DECODING
# ---------------------------------------------------------------------------


def _decode_tensor(data: bytes, tail: _Tail | None) -> np.ndarray[Any, Any]:
    header, buffer, offset, size = _split_media(data, tail)
    if len(header) != 2 or not isinstance(header[0], str) or not isinstance(header[1], list):
        raise CodecError(f"tensor header must be [dtype, shape], got {header!r}")
    name, shape = header
    if name not in TENSOR_DTYPES:
        raise CodecError(f"unknown tensor dtype {name!r}")
    import numpy as np

    dtype = np.dtype(name).newbyteorder("<")
    count = 1
    for dim in shape:
        if not isinstance(dim, int) or dim < 0:
            raise CodecError(f"tensor shape must hold non-negative integers, got {shape!r}")
        count *= dim
    if size != count * dtype.itemsize:
        raise CodecError(f"tensor {name}{shape} needs {count * dtype.itemsize} bytes, got {size}")
    return np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)


def _decode_audio(data: bytes, tail: _Tail | None) -> Audio:
    header, buffer, offset, size = _split_media(data, tail)
    if len(header) != 2:
        raise CodecError(f"audio header must be [sample_rate, channels], got {header!r}")
    if size % 4:
        raise CodecError(f"audio payload of {size} bytes is not whole float32 samples")
    import numpy as np

    samples = np.frombuffer(buffer, dtype="<f4", count=size // 4, offset=offset)
    try:
        return Audio(samples, sample_rate=header[0], channels=header[1])
    except (TypeError, ValueError) as exc:
        raise CodecError(f"invalid audio ({exc})") from exc


def _decode_video(data: bytes, tail: _Tail | None) -> VideoFrame:
    header, buffer, offset, size = _split_media(data, tail)
    if len(header) != 3:
        raise CodecError(f"video frame header must be [width, height, format], got {header!r}")
    pixels = bytes(buffer[offset : offset + size])  # VideoFrame keeps bytes: the one copy
    try:
        return VideoFrame(pixels, width=header[0], height=header[1], format=header[2])
    except (TypeError, ValueError) as exc:
        raise CodecError(f"invalid video frame ({exc})") from exc


def _decode_pickle(data: bytes, tail: _Tail | None) -> Any:
    header, buffer, offset, size = _split_media(data, tail)
    try:
        return cloudpickle.loads(memoryview(buffer)[offset : offset + size])
    except Exception as exc:
        name = header[0] if header else "?"
        raise CodecError(f"cannot unpickle a {name} ({type(exc).__name__}: {exc})") from exc


def _decode_bigint(data: bytes, tail: _Tail | None) -> int:
    return int.from_bytes(data, "big", signed=True)


_EXT_DECODERS: dict[int, Callable[[bytes, _Tail | None], Any]] = {
    EXT_TENSOR: _decode_tensor,
    EXT_AUDIO: _decode_audio,
    EXT_VIDEO: _decode_video,
    EXT_PICKLE: _decode_pickle,
    EXT_BIGINT: _decode_bigint,
}


def _ext_hook(code: int, data: bytes, tail: _Tail | None = None) -> Any:
    decoder = _EXT_DECODERS.get(code)
    if decoder is None:
        raise CodecError(f"unknown msgpack extension type {code}")
    return decoder(data, tail)


def _split(body: memoryview, blobs: Blobs | None = None) -> tuple[memoryview, _Tail]:
    """The map of a split body, and the tail its references resolve against."""
    size = len(body)
    if size < 5:
        raise MalformedFrame(f"split body of {size} bytes is shorter than its 5-byte header")
    (length,) = _U32.unpack_from(body, 1)
    if not 1 <= length <= size - 5:
        raise MalformedFrame(
            f"split body: map length {length} is out of range for a {size}-byte body"
        )
    return body[5 : 5 + length], _Tail(body, 5 + length, blobs)


def decode(data: bytes | bytearray | memoryview, blobs: Blobs | None = None) -> Any:
    """Decode one frame body: a msgpack value, or a split body.

    Raw parts in a split body's tail are decoded as read-only views of
    ``data`` itself (they keep it alive), blob references as views of the
    payloads ``blobs`` holds; raises :class:`MalformedFrame` when the split
    body's structure is broken or a payload is missing, :class:`CodecError`
    for any other invalid encoding.
    """
    if not data or data[0] != SPLIT_BODY:
        hook = _ext_hook if blobs is None else _Tail(None, 0, blobs).hook
        try:  # raw=False and use_list=True are msgpack's defaults: every keyword costs per call
            return msgpack.unpackb(data, strict_map_key=False, ext_hook=hook)
        except CodecError:
            raise
        except Exception as exc:
            raise CodecError(f"invalid msgpack ({type(exc).__name__}: {exc})") from exc
    message, tail = _split(memoryview(data).toreadonly(), blobs)
    try:
        value = msgpack.unpackb(message, strict_map_key=False, ext_hook=tail.hook)
    except CodecError:
        raise
    except Exception as exc:
        raise CodecError(f"invalid msgpack in a split body ({type(exc).__name__}: {exc})") from exc
    if not tail.refs:
        raise MalformedFrame("split body: no extension value refers to its tail")
    return value


def decode_envelope(data: bytes | bytearray | memoryview) -> Any:
    """Decode a body with every extension value as None, or return None when even that fails.

    What a request whose values failed to decode can still tell (its ``seq`` and ``op``).
    """
    try:
        if data and data[0] == SPLIT_BODY:
            data = _split(memoryview(data))[0]
        return msgpack.unpackb(data, strict_map_key=False, ext_hook=lambda code, payload: None)
    except Exception:
        return None
