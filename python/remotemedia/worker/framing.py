"""Length-prefixed frames on a pipe: ``u32 big-endian length | body`` (PROTOCOL.md, "Frames")."""

from __future__ import annotations

import os
import struct
import sys
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO, Final

__all__ = ["MAX_FRAME", "FrameReader", "FrameWriter", "ProtocolError", "frame"]

MAX_FRAME: Final = 0xFFFF_FFFF
"""The largest body a 4-byte length can announce (4 GiB - 1)."""

_pack_header = struct.Struct(">I").pack
_unpack_header = struct.Struct(">I").unpack
_IOV_MAX = 512
_SMALL: Final = 64 * 1024
"""Bodies up to this size are read as ``bytes``, and written with their header in one copy and
one ``write``."""


class ProtocolError(Exception):
    """The peer broke the protocol: a truncated or malformed frame, or an invalid message."""


def frame(body: bytes | bytearray | memoryview) -> bytes:
    """One whole frame (header and body) as bytes; for tests and test vectors."""
    return _pack_header(len(body)) + bytes(body)


class FrameReader:
    """Reads whole frames from a binary stream, blocking.

    A body of up to 64 KiB comes back as ``bytes`` (from a buffered stream,
    one system call usually fetches its header and body at once). A larger
    body is read straight into a receive buffer, so it costs one copy out of
    the pipe, and comes back as a view of that buffer. Values decoded from a
    split body are views of it too, so a buffer stays valid as long as
    anything refers to it: the next large frame reuses it (already-touched
    memory is much cheaper to fill than fresh pages) only when nothing does
    any more, neither the returned view nor a value decoded from it, and is
    read into a new buffer otherwise. A body over ``keep`` bytes always gets a
    buffer of its own.
    """

    def __init__(self, stream: BinaryIO, *, keep: int = 256 * 1024 * 1024) -> None:
        self._read = stream.read
        self._readinto = stream.readinto  # type: ignore[attr-defined]
        self._header = bytearray(4)
        self._large = bytearray(0)
        self._keep = keep

    def read(self) -> bytes | memoryview | None:
        """The next frame's body, or None at a clean end of stream (EOF between frames).

        Raises :class:`ProtocolError` when the stream ends inside a frame.
        """
        # Hot path: one readinto for the header, one read for the body; the partial-read
        # paths only run when the stream hands over less than asked for.
        header = self._header
        got = self._readinto(header)
        if got != 4 and not self._rest_of_header(got or 0):
            return None
        (length,) = _unpack_header(header)
        if length <= _SMALL:
            body = self._read(length)
            return body if len(body) == length else self._rest_of_body(body, length)
        view = self._large_body(length)
        got = self._readinto(view) or 0
        if got != length:
            got = self._fill(view, got)
            if got < length:
                raise ProtocolError(
                    f"truncated frame: stream ended after {got} of {length} announced bytes"
                )
        return view

    def _fill(self, view: memoryview, got: int) -> int:
        """Read into ``view[got:]`` until it is full or the stream ends; returns the new ``got``."""
        while got < len(view):
            n = self._readinto(view[got:])
            if not n:
                break
            got += n
        return got

    def _rest_of_header(self, got: int) -> bool:
        """Complete a header the first read left short; False at a clean end of stream."""
        if not got:
            return False
        got = self._fill(memoryview(self._header), got)
        if got < 4:
            raise ProtocolError(f"truncated frame: stream ended after {got} of 4 header bytes")
        return True

    def _rest_of_body(self, body: bytes, length: int) -> bytes:
        """Complete a small body the first read left short."""
        while len(body) < length:
            more = self._read(length - len(body))
            if not more:
                raise ProtocolError(
                    f"truncated frame: stream ended after {len(body)} of {length} announced bytes"
                )
            body += more
        return body

    def _large_body(self, length: int) -> memoryview:
        if length > self._keep:
            return memoryview(bytearray(length))
        large = self._large
        # In CPython every view of the buffer, and every value decoded from one (a numpy array's
        # base is such a view), keeps it alive through one reference from the views' shared
        # managed buffer. With none alive, the references are ``self._large``, ``large`` and
        # getrefcount's argument.
        if length > len(large) or sys.getrefcount(large) > 3:
            large = self._large = bytearray(length)
        return memoryview(large)[:length]


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
        body = parts[0] if len(parts) == 1 else None
        if type(body) is bytes and len(body) <= _SMALL:
            # Hot path (every small reply): one write of header + body.
            data = _pack_header(len(body)) + body
            with self._lock:
                written = os.write(self._fd, data)
                if written != len(data):  # only when the pipe was nearly full
                    self._write_all([memoryview(data)[written:]])
            return
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > MAX_FRAME:
            raise ProtocolError(f"frame body of {length} bytes exceeds the limit of {MAX_FRAME}")
        views.insert(0, memoryview(_pack_header(length)))
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
