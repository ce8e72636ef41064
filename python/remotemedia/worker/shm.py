"""The worker's end of a shared-memory payload channel (iceoryx2, ``--shm``).

The parent creates two publish-subscribe services of ``u8`` slices per
worker, under a prefix and root path of their own: ``<name>/req`` (parent to
worker) and ``<name>/rep`` (worker to parent); the worker opens both with the
same settings. A payload is one sample: an 8-byte little-endian sequence
number, then the bytes. The control frame that refers to a payload carries
its sequence number (a *blob reference*, see :mod:`.codec`); samples are
taken in order, those of messages never sent whole are dropped, a gap is an
error.

A received payload is read in place: :meth:`ShmChannel.take` returns a
read-only memoryview over the sample that keeps the sample alive, so numpy
arrays over it (and anything a node keeps of them) hold intact data; the
sample goes back to the parent's publisher only once nothing refers to it.
Past ``samples // 2`` samples held at once, a payload is copied out and its
sample released at once (the parent always has samples to send into).

Sending, a payload is written once, into a sample loaned from this worker's
publisher, whose segment holds ``samples`` samples (few, so released ones are
reused with their pages already touched; it grows in powers of two for larger
payloads, and by more segments while the parent holds many). A message
carries at most ``samples`` payloads (:attr:`ShmChannel.capacity`; the codec
puts any more in the frame). Safe overflow is off: a sample the parent's queue
has no room for is an error naming its size, never a silent loss.
"""

from __future__ import annotations

import ctypes
import struct
import weakref
from importlib.metadata import version
from typing import Any, Final

from .codec import CodecError, MalformedFrame

__all__ = ["ShmChannel", "iceoryx2_version"]

_SEQ: Final = struct.Struct("<Q")
_SEQ_BYTES: Final = 8


def iceoryx2_version() -> str:
    """The installed iceoryx2 wheel's version (compared with the parent's addon in ``hello``)."""
    return version("iceoryx2")


class _Lease:
    """Keeps a received sample alive while views of its payload exist (their buffer's owner)."""

    __slots__ = ("__weakref__", "sample")

    def __init__(self, sample: Any) -> None:
        self.sample = sample


class ShmChannel:
    """The services of one worker, opened with the parent's settings."""

    def __init__(
        self,
        *,
        prefix: str,
        root: str,
        name: str,
        threshold: int,
        samples: int,
        initial_slice_len: int,
    ) -> None:
        import iceoryx2 as iox

        iox.set_log_level_from_env_or(iox.LogLevel.Error)
        config = iox.config.default()
        config.defaults.publish_subscribe.subscriber_expired_connection_buffer = samples
        config.global_cfg.prefix = iox.FileName.new(prefix)
        config.global_cfg.root_path = iox.Path.new(root)
        self._node = iox.NodeBuilder.new().config(config).create(iox.ServiceType.Ipc)

        def service(direction: str) -> Any:
            return (
                self._node.service_builder(iox.ServiceName.new(f"{name}/{direction}"))
                .publish_subscribe(iox.Slice[ctypes.c_uint8])
                .enable_safe_overflow(False)
                .subscriber_max_buffer_size(2 * samples)
                .subscriber_max_borrowed_samples(samples)
                .history_size(0)
                .max_publishers(1)
                .max_subscribers(1)
                .max_nodes(2)
                .payload_alignment(iox.Alignment.new(64))
                .open()
            )

        self._subscriber = service("req").subscriber_builder().create()
        self._publisher = (
            service("rep")
            .publisher_builder()
            .initial_max_slice_len(initial_slice_len)
            .allocation_strategy(iox.AllocationStrategy.PowerOfTwo)
            .backpressure_strategy(iox.BackpressureStrategy.DiscardData)
            .override_sample_preallocation(samples)
            .create()
        )
        self.threshold: Final = threshold
        self.capacity: Final = samples
        self._next = 0
        self._held = 0
        self._hold_limit = samples // 2

    # -- sending -------------------------------------------------------------

    def put(self, raw: Any) -> int:
        """Write ``raw`` (a buffer) into a new sample and send it; returns its sequence number.

        Raises :class:`CodecError` when no sample of that size can be loaned
        or the parent's queue has no room (the message then cannot be sent).
        """
        source = memoryview(raw).cast("B")
        size = source.nbytes
        try:
            sample = self._publisher.loan_slice_uninit(_SEQ_BYTES + size)
        except Exception as exc:
            raise CodecError(
                f"cannot loan a shared-memory sample for a payload of {size} bytes ({exc!r})"
            ) from exc
        address = sample.payload().as_ptr()
        target = memoryview((ctypes.c_uint8 * (_SEQ_BYTES + size)).from_address(address)).cast("B")
        seq = self._next
        _SEQ.pack_into(target, 0, seq)
        target[_SEQ_BYTES:] = source  # the one copy: into shared memory
        del target
        delivered = sample.assume_init().send()
        if delivered == 0:
            raise CodecError(
                f"a payload of {size} bytes was not delivered: the parent's shared-memory queue "
                "is full or it is gone"
            )
        self._next = seq + 1
        return seq

    # -- receiving -----------------------------------------------------------

    def take(self, seq: int, length: int) -> memoryview:
        """The payload with sequence number ``seq``, read-only, over its sample.

        Older samples (of messages never sent whole) are dropped; a missing
        one, or one of another length, is a :class:`MalformedFrame`.
        """
        while True:
            try:
                sample = self._subscriber.receive()
            except Exception as exc:
                raise CodecError(f"cannot receive a shared-memory sample ({exc!r})") from exc
            if sample is None:
                raise MalformedFrame(f"payload {seq} is missing from shared memory")
            payload = sample.payload()
            total = payload.len()
            address = payload.as_ptr()
            (got,) = _SEQ.unpack(ctypes.string_at(address, _SEQ_BYTES))
            if got < seq:
                sample.delete()
                continue
            if got > seq or total - _SEQ_BYTES != length:
                raise MalformedFrame(
                    f"payload {seq} ({length} bytes) is missing from shared memory "
                    f"(found payload {got} of {total - _SEQ_BYTES} bytes)"
                )
            break
        if length == 0 or self._held >= self._hold_limit:
            data = ctypes.string_at(address + _SEQ_BYTES, length)
            sample.delete()
            return memoryview(data)
        view = (ctypes.c_uint8 * length).from_address(address + _SEQ_BYTES)
        lease = _Lease(sample)
        view._remotemedia_lease = lease  # type: ignore[attr-defined]  # the view keeps its sample
        self._held += 1
        weakref.finalize(lease, self._released)
        return memoryview(view).cast("B").toreadonly()

    def _released(self) -> None:
        self._held -= 1

    @property
    def held(self) -> int:
        """Received samples still referred to (by a payload view, or values over one)."""
        return self._held

    def close(self) -> None:
        """Release the ports and the node (samples still held stay readable)."""
        self._subscriber.delete()
        self._publisher.delete()
        del self._node
