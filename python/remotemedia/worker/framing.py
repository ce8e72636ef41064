"""Length-prefixed frames on a pipe: ``u32 big-endian length | body`` (PROTOCOL.md, "Frames")."""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO, Final

__all__ = ["MAX_FRAME", "FrameReader", "FrameWriter", "ProtocolError", "frame"]

MAX_FRAME: Final = 0xFFFF_FFFF
"""The largest body a 4-byte length can announce (4 GiB - 1)."""

_HEADER = struct.Struct(">I")
_IOV_MAX = 512
_SMALL: Final = 64 * 1024
"""Bodies up to this size are written with their header in one copy and one ``write``."""


class ProtocolError(Exception):
    """The peer broke the protocol: a truncated or malformed frame, or an invalid message."""


def frame(body: bytes | bytearray | memoryview) -> bytes:
    """One whole frame (header and body) as bytes; for tests and test vectors."""
    return _HEADER.pack(len(body)) + bytes(body)


class FrameReader:
    """Reads whole frames from a binary stream, blocking.

    The body is read straight into a receive buffer that is reused from frame
    to frame (already-touched memory is much cheaper to fill than fresh
    pages), so a large frame costs one copy out of the pipe. The view
    :meth:`read` returns is valid until the next call: decode it first
    (decoding copies what it keeps).
    """

    def __init__(self, stream: BinaryIO, *, keep: int = 256 * 1024 * 1024) -> None:
        self._stream = stream
        self._readinto = stream.readinto  # type: ignore[attr-defined]
        self._buffer = bytearray(64 * 1024)
        self._view = memoryview(self._buffer)
        self._header = bytearray(4)
        self._header_view = memoryview(self._header)
        self._keep = keep

    def _fill(self, view: memoryview) -> int:
        got = 0
        while got < len(view):
            n = self._readinto(view[got:] if got else view)
            if not n:
                break
            got += n
        return got

    def read(self) -> memoryview | None:
        """The next frame's body, or None at a clean end of stream (EOF between frames).

        Raises :class:`ProtocolError` when the stream ends inside a frame.
        """
        # Hot path: one readinto for the header, one for the body (the stream's own buffer
        # usually holds both already); the partial-read loop only runs when they do not.
        header = self._header
        got = self._readinto(header)
        if got != 4:
            got = got or 0
            if got == 0:
                return None
            got += self._fill(self._header_view[got:])
            if got < 4:
                raise ProtocolError(f"truncated frame: stream ended after {got} of 4 header bytes")
        (length,) = _HEADER.unpack(header)
        if length > len(self._buffer) or len(self._buffer) > max(self._keep, length):
            self._buffer = bytearray(length)  # grow, or give back a huge one
            self._view = memoryview(self._buffer)
        body = self._view[:length]
        got = self._readinto(body) or 0
        if got < length:
            got += self._fill(body[got:])
            if got < length:
                raise ProtocolError(
                    f"truncated frame: stream ended after {got} of {length} announced bytes"
                )
        return body


class FrameWriter:
    """Writes whole frames to a file descriptor; safe to share between threads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def write(self, body: bytes | bytearray | memoryview) -> None:
        """Write one frame; raises :class:`ProtocolError` for a body over :data:`MAX_FRAME`."""
        self.write_parts([body])

    def write_parts(self, parts: Sequence[Any]) -> None:
        """Write one frame whose body is the concatenation of ``parts`` (gathered, not copied)."""
        if len(parts) == 1 and type(parts[0]) is bytes and len(parts[0]) <= _SMALL:
            # Hot path (every small reply): one write of header + body.
            body = parts[0]
            data = _HEADER.pack(len(body)) + body
            with self._lock:
                written = os.write(self._fd, data)
                if written < len(data):  # only when the pipe was nearly full
                    self._write_all([memoryview(data)[written:]])
            return
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > MAX_FRAME:
            raise ProtocolError(f"frame body of {length} bytes exceeds the limit of {MAX_FRAME}")
        views.insert(0, memoryview(_HEADER.pack(length)))
        with self._lock:
            self._write_all([v for v in views if v.nbytes])

    def _write_all(self, views: list[memoryview]) -> None:
        while views:
            written = os.writev(self._fd, views[:_IOV_MAX])
            while views and written >= views[0].nbytes:
                written -= views[0].nbytes
                views.pop(0)
            if views and written:
                views[0] = views[0][written:]
