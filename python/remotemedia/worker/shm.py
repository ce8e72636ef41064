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

A node's output that lies in a received payload still held (a node returned
its input, or a slice of it) is not copied: it goes back as a *shared
reference* to the parent's payload, which the parent reads in place. The
worker then keeps that sample pinned, once per reference, until the parent
says its view is gone: a *release notice*, a sample whose first word has bit
63 set (then the count), followed by the sequence numbers released, which the
parent sends ahead of a later payload. At most ``samples // 2 - 1`` samples are
pinned at once (more outputs are copied).

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
_RELEASES: Final = 1 << 63


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
        # payloads held: seq -> (address, length, lease); pinned ones: seq -> (lease, pins)
        self._leases: dict[int, tuple[int, int, weakref.ref[_Lease]]] = {}
        self._pins: dict[int, tuple[_Lease, int]] = {}

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
        sample, address, total = self._receive(seq)
        if total != length:
            raise MalformedFrame(
                f"payload {seq} ({length} bytes) is missing from shared memory "
                f"(found payload {seq} of {total} bytes)"
            )
        if length == 0 or self._held >= self._hold_limit:
            data = ctypes.string_at(address, length)
            sample.delete()
            return memoryview(data)
        return self._view(self._lend(seq, sample, address, length), address, length, 0, length)

    def take_shared(self, seq: int, offset: int, length: int) -> memoryview:
        """Bytes ``offset .. offset + length`` of the parent's payload ``seq``, which the parent
        keeps a view of: received now or held already, the payload is pinned once more.

        A reference outside the payload is a :class:`MalformedFrame`.
        """
        pinned = self._pins.get(seq)
        if pinned is None:
            sample, address, total = self._receive(seq)
            lease = self._lend(seq, sample, address, total)
            self._pins[seq] = (lease, 1)
            return self._view(lease, address, total, offset, length)
        lease, pins = pinned
        address, total, _ = self._leases[seq]
        self._pins[seq] = (lease, pins + 1)
        return self._view(lease, address, total, offset, length)

    def _receive(self, seq: int) -> tuple[Any, int, int]:
        """Sample ``seq`` (older ones are dropped, release notices applied), the address and
        length of its payload."""
        while True:
            try:
                sample = self._subscriber.receive()
            except Exception as exc:
                raise CodecError(f"cannot receive a shared-memory sample ({exc!r})") from exc
            if sample is None:
                raise MalformedFrame(f"payload {seq} is missing from shared memory")
            payload = sample.payload()
            total = payload.len() - _SEQ_BYTES
            address = payload.as_ptr()
            (got,) = _SEQ.unpack(ctypes.string_at(address, _SEQ_BYTES))
            if got & _RELEASES:
                count = got & ~_RELEASES
                self._release(
                    struct.unpack(f"<{count}Q", ctypes.string_at(address + _SEQ_BYTES, 8 * count))
                )
                sample.delete()
                continue
            if got < seq:
                sample.delete()
                continue
            if got > seq:
                raise MalformedFrame(
                    f"payload {seq} is missing from shared memory (found payload {got})"
                )
            return sample, address + _SEQ_BYTES, total

    def _lend(self, seq: int, sample: Any, address: int, total: int) -> _Lease:
        """The lease of a payload received: its sample goes once no view of it is left."""
        lease = _Lease(sample)
        self._held += 1
        self._leases[seq] = (address, total, weakref.ref(lease))
        weakref.finalize(lease, self._released, seq)
        return lease

    @staticmethod
    def _view(lease: _Lease, address: int, total: int, offset: int, length: int) -> memoryview:
        """A read-only view of bytes ``offset .. offset + length`` of a leased payload."""
        if offset + length > total:
            raise MalformedFrame(
                f"a shared reference to bytes {offset}..{offset + length} is outside its "
                f"{total}-byte payload"
            )
        view = (ctypes.c_uint8 * length).from_address(address + offset)
        view._remotemedia_lease = lease  # type: ignore[attr-defined]  # the view keeps its sample
        return memoryview(view).cast("B").toreadonly()

    def _released(self, seq: int) -> None:
        self._held -= 1
        del self._leases[seq]

    def _release(self, seqs: tuple[int, ...]) -> None:
        """Unpin once each payload of a release notice."""
        for seq in seqs:
            pinned = self._pins.pop(seq, None)
            if pinned is None:
                raise MalformedFrame(f"release notice for payload {seq}, which is not pinned")
            lease, pins = pinned
            if pins > 1:
                self._pins[seq] = (lease, pins - 1)
            del lease

    # -- sharing -------------------------------------------------------------

    def share(self, raw: Any) -> tuple[int, int] | None:
        """When ``raw`` lies in a payload held (and fewer than ``samples // 2 - 1`` are pinned),
        that payload's sequence number and where ``raw`` starts in it: the payload is pinned
        once more, for the parent's view."""
        if not self._leases or not isinstance(raw, memoryview):
            return None
        import numpy as np

        start: int = np.frombuffer(raw, np.uint8).ctypes.data
        end = start + raw.nbytes
        for seq, (address, length, ref) in self._leases.items():
            lease = ref()
            if lease is None or not address <= start <= end <= address + length:
                continue
            pinned = self._pins.get(seq)
            if pinned is None and len(self._pins) >= self._hold_limit - 1:
                return None
            self._pins[seq] = (lease, 1 if pinned is None else pinned[1] + 1)
            return seq, start - address
        return None

    @property
    def pinned(self) -> int:
        """Payloads pinned for the parent's views."""
        return len(self._pins)

    @property
    def held(self) -> int:
        """Received samples still referred to (by a payload view, or values over one)."""
        return self._held

    def close(self) -> None:
        """Release the ports and the node (samples still held stay readable)."""
        self._subscriber.delete()
        self._publisher.delete()
        del self._node
