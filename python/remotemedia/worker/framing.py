"""Length-prefixed frames on a pipe: ``u32 big-endian length | body`` (PROTOCOL.md, "Frames")."""

from __future__ import annotations

import mmap
import os
import select
import struct
import sys
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO, Final

from .codec import CodecError

__all__ = [
    "DEFAULT_MAX_FRAME",
    "MAX_FRAME",
    "FrameReader",
    "FrameTooLarge",
    "FrameWriter",
    "ProtocolError",
    "frame",
]

MAX_FRAME: Final = 0xFFFF_FFFF
"""The largest body a 4-byte length can announce (4 GiB - 1)."""

DEFAULT_MAX_FRAME: Final = 1 << 30
"""The worker's cap on a request body unless ``--max-frame-bytes`` says otherwise (1 GiB)."""

_pack_header = struct.Struct(">I").pack
_unpack_header_from = struct.Struct(">I").unpack_from
_IOV_MAX = 512
_SMALL: Final = 64 * 1024
"""Bodies up to this size are read as ``bytes``, and written with their header in one copy and
one ``write``."""
_WINDOW: Final = _SMALL + 4
"""The reader's window holds one whole small frame."""


class ProtocolError(Exception):
    """The peer broke the protocol: a truncated or malformed frame, or an invalid message."""


class FrameTooLarge(CodecError):
    """A frame to send is longer than the peer accepts: that message cannot be sent."""


def frame(body: bytes | bytearray | memoryview) -> bytes:
    """One whole frame (header and body) as bytes; for tests and test vectors."""
    return _pack_header(len(body)) + bytes(body)


class FrameReader:
    """Reads whole frames from a binary stream, blocking, refusing bodies over ``max_frame``.

    The reader keeps its own 64 KiB window of the stream: one ``readinto``
    usually fetches a small frame's header and body at once (and whatever
    follows), and a body of up to 64 KiB comes back as ``bytes``. A larger
    body is read straight into a receive buffer, so it costs one copy out of
    the pipe, and comes back as a view of that buffer. Values decoded from a
    split body are views of it too, so a buffer stays valid as long as
    anything refers to it: the next large frame reuses it (already-touched
    memory is much cheaper to fill than fresh pages) only when nothing does
    any more, neither the returned view nor a value decoded from it, and is
    read into a new buffer otherwise. A body over ``keep`` bytes always gets a
    buffer of its own. New receive buffers are anonymous memory maps: pages
    are committed as bytes arrive, so a frame that announces much and then
    ends costs nothing. A header announcing more than ``max_frame`` bytes is a
    :class:`ProtocolError` before anything is allocated.

    :meth:`waiting` tells, without blocking, whether a frame (or the end of
    the stream) is there to read.
    """

    def __init__(
        self, stream: BinaryIO, *, keep: int = 256 * 1024 * 1024, max_frame: int = MAX_FRAME
    ) -> None:
        # One read of what is there: a buffered stream's readinto would wait to fill the window.
        self._readinto = getattr(stream, "readinto1", None) or stream.readinto  # type: ignore[attr-defined]
        self._window = bytearray(_WINDOW)
        self._view = memoryview(self._window)
        self._start = 0  # the unread bytes of the window are [_start, _end)
        self._end = 0
        self._large: mmap.mmap | None = None
        self._keep = keep
        self._max = max_frame
        self._poll: select.poll | None = None
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            return
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    def waiting(self) -> bool:
        """Whether :meth:`read` has something to start on without waiting: bytes of a frame
        already read ahead, or bytes (or the end of the stream) on the file descriptor."""
        if self._end > self._start:
            return True
        return self._poll is not None and bool(self._poll.poll(0))

    def read(self) -> bytes | memoryview | None:
        """The next frame's body, or None at a clean end of stream (EOF between frames).

        Raises :class:`ProtocolError` when the stream ends inside a frame, or
        when a header announces more than ``max_frame`` bytes.
        """
        # Hot path: nothing read ahead, one read fetches the whole frame (or it was read ahead).
        start = self._start
        if start == self._end:
            got = self._readinto(self._view)
            if not got:
                return None
            start = self._start = 0
            self._end = got
        have = self._end - start
        if have >= 4:
            (length,) = _unpack_header_from(self._window, start)
            if length <= have - 4 and length <= self._max:
                self._start = start + 4 + length
                return bytes(self._view[start + 4 : start + 4 + length])
        return self._read_slow()

    def _read_slow(self) -> bytes | memoryview | None:
        if not self._fill(4):
            got = self._end - self._start
            if got == 0:
                return None
            raise ProtocolError(f"truncated frame: stream ended after {got} of 4 header bytes")
        (length,) = _unpack_header_from(self._window, self._start)
        if length > self._max:
            raise ProtocolError(
                f"a frame announcing {length} bytes exceeds the limit of {self._max} bytes "
                "(--max-frame-bytes)"
            )
        self._start += 4
        if length <= _SMALL:
            if not self._fill(length):
                got = self._end - self._start
                raise ProtocolError(
                    f"truncated frame: stream ended after {got} of {length} announced bytes"
                )
            start = self._start
            self._start = start + length
            return bytes(self._view[start : start + length])
        view = self._large_body(length)
        got = self._end - self._start
        view[:got] = self._view[self._start : self._end]
        self._start = self._end = 0
        while got < length:
            n = self._readinto(view[got:])
            if not n:
                raise ProtocolError(
                    f"truncated frame: stream ended after {got} of {length} announced bytes"
                )
            got += n
        return view

    def _fill(self, count: int) -> bool:
        """Read until ``count`` unread bytes are in the window; False if the stream ends first."""
        if self._end - self._start >= count:
            return True
        if self._start:  # move the unread bytes to the front: the window then has room for count
            unread = self._end - self._start
            self._view[:unread] = self._view[self._start : self._end]
            self._start, self._end = 0, unread
        while self._end < count:
            n = self._readinto(self._view[self._end :])
            if not n:
                return False
            self._end += n
        return True

    def _large_body(self, length: int) -> memoryview:
        if length > self._keep:
            return memoryview(mmap.mmap(-1, length))
        large = self._large
        # In CPython every view of the buffer, and every value decoded from one (a numpy array's
        # base is such a view), keeps it alive through one reference from the views' shared
        # managed buffer. With none alive, the references are ``self._large``, ``large`` and
        # getrefcount's argument.
        if large is None or length > len(large) or sys.getrefcount(large) > 3:
            large = self._large = mmap.mmap(-1, length)
        return memoryview(large)[:length]


class FrameWriter:
    """Writes whole frames to a file descriptor; safe to share between threads.

    A body longer than ``max_frame`` (what the peer accepts) is refused with
    :class:`FrameTooLarge` before anything is written.
    """

    def __init__(self, fd: int, *, max_frame: int = MAX_FRAME) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._max = max_frame
        self._small = min(_SMALL, max_frame)

    def write(self, body: bytes | bytearray | memoryview) -> None:
        """Write one frame."""
        self.write_parts([body])

    def write_parts(self, parts: Sequence[Any]) -> None:
        """Write one frame whose body is the concatenation of ``parts`` (gathered, not copied)."""
        body = parts[0] if len(parts) == 1 else None
        if type(body) is bytes and len(body) <= self._small:
            # Hot path (every small reply): one write of header + body.
            data = _pack_header(len(body)) + body
            with self._lock:
                written = os.write(self._fd, data)
                if written != len(data):  # only when the pipe was nearly full
                    self._write_all([memoryview(data)[written:]])
            return
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > self._max:
            raise FrameTooLarge(f"a frame of {length} bytes exceeds the limit of {self._max} bytes")
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
