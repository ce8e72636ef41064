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
        self._buffer = bytearray(64 * 1024)
        self._keep = keep

    def _fill(self, view: memoryview) -> int:
        got = 0
        while got < len(view):
            n = self._stream.readinto(view[got:])  # type: ignore[attr-defined]
            if not n:
                break
            got += n
        return got

    def read(self) -> memoryview | None:
        """The next frame's body, or None at a clean end of stream (EOF between frames).

        Raises :class:`ProtocolError` when the stream ends inside a frame.
        """
        header = bytearray(4)
        got = self._fill(memoryview(header))
        if got == 0:
            return None
        if got < 4:
            raise ProtocolError(f"truncated frame: stream ended after {got} of 4 header bytes")
        (length,) = _HEADER.unpack(header)
        if length > len(self._buffer) or len(self._buffer) > max(self._keep, length):
            self._buffer = bytearray(length)  # grow, or give back a huge one
        body = memoryview(self._buffer)[:length]
        got = self._fill(body)
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
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > MAX_FRAME:
            raise ProtocolError(f"frame body of {length} bytes exceeds the limit of {MAX_FRAME}")
        views.insert(0, memoryview(_HEADER.pack(length)))
        views = [v for v in views if v.nbytes]
        with self._lock:
            while views:
                written = os.writev(self._fd, views[:_IOV_MAX])
                while views and written >= views[0].nbytes:
                    written -= views[0].nbytes
                    views.pop(0)
                if views and written:
                    views[0] = views[0][written:]
