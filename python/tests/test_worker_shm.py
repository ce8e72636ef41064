"""The worker's shared-memory payload channel (``--shm``) and the codec's blob references,
against a parent side played here with the iceoryx2 wheel (the services the addon creates)."""

from __future__ import annotations

import ctypes
import gc
import os
import shutil
import struct
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from remotemedia import Audio
from remotemedia.worker.codec import CodecError, MalformedFrame, decode, encode_parts

iox = pytest.importorskip("iceoryx2")
from remotemedia.worker.shm import ShmChannel, iceoryx2_version

SAMPLES = 4


class Parent:
    """The parent's end: publishes on ``req``, subscribes to ``rep`` (as the addon does)."""

    def __init__(self, prefix: str, root: str, name: str) -> None:
        config = iox.config.default()
        config.global_cfg.prefix = iox.FileName.new(prefix)
        config.global_cfg.root_path = iox.Path.new(root)
        self.node = iox.NodeBuilder.new().config(config).create(iox.ServiceType.Ipc)

        def service(direction: str) -> Any:
            return (
                self.node.service_builder(iox.ServiceName.new(f"{name}/{direction}"))
                .publish_subscribe(iox.Slice[ctypes.c_uint8])
                .enable_safe_overflow(False)
                .subscriber_max_buffer_size(2 * SAMPLES)
                .subscriber_max_borrowed_samples(SAMPLES)
                .history_size(0)
                .max_publishers(1)
                .max_subscribers(1)
                .max_nodes(2)
                .payload_alignment(iox.Alignment.new(64))
                .open_or_create()
            )

        self.publisher = (
            service("req")
            .publisher_builder()
            .initial_max_slice_len(256)
            .allocation_strategy(iox.AllocationStrategy.PowerOfTwo)
            .create()
        )
        self.subscriber = service("rep").subscriber_builder().create()
        self.seq = 0

    def send(self, data: bytes) -> int:
        sample = self.publisher.loan_slice_uninit(8 + len(data))
        view = memoryview(
            (ctypes.c_uint8 * (8 + len(data))).from_address(sample.payload().as_ptr())
        )
        view.cast("B")[:] = struct.pack("<Q", self.seq) + data
        sample.assume_init().send()
        self.seq += 1
        return self.seq - 1

    def release(self, *seqs: int) -> None:
        """A release notice: the parent's views of payloads ``seqs`` are gone (one pin each)."""
        notice = struct.pack(f"<Q{len(seqs)}Q", (1 << 63) | len(seqs), *seqs)
        sample = self.publisher.loan_slice_uninit(len(notice))
        ctypes.memmove(sample.payload().as_ptr(), notice, len(notice))
        sample.assume_init().send()

    def receive(self) -> tuple[int, bytes]:
        sample = self.subscriber.receive()
        assert sample is not None
        raw = ctypes.string_at(sample.payload().as_ptr(), sample.payload().len())
        return struct.unpack_from("<Q", raw)[0], raw[8:]

    def close(self) -> None:
        self.publisher.delete()
        self.subscriber.delete()


@pytest.fixture
def pair() -> Iterator[tuple[Parent, ShmChannel]]:
    run = uuid.uuid4().hex[:12]
    prefix, root, name = f"iox2_rmpytest{run}_", f"/tmp/rm-pytest-{run}/", f"remotemedia/{run}"
    parent = Parent(prefix, root, name)
    worker = ShmChannel(
        prefix=prefix, root=root, name=name, threshold=64, samples=SAMPLES, initial_slice_len=256
    )
    yield parent, worker
    worker.close()
    parent.close()
    del parent, worker
    gc.collect()
    for entry in os.listdir("/dev/shm"):
        if entry.startswith(prefix):
            os.unlink(f"/dev/shm/{entry}")
    shutil.rmtree(root, ignore_errors=True)


def _blob_request(seq: int, array: np.ndarray[Any, Any]) -> bytes:
    """A ``process`` request whose one item is a tensor sent as a blob reference."""
    import msgpack

    header = msgpack.packb([array.dtype.name, list(array.shape)])
    payload = struct.pack(">III", 1, seq, array.nbytes) + header
    return bytes(msgpack.packb({"op": "process", "seq": 1, "items": [msgpack.ExtType(1, payload)]}))


def test_a_tensor_from_shared_memory_is_a_read_only_view_that_keeps_its_sample(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    array = np.arange(1000, dtype=np.float32)
    seq = parent.send(array.tobytes())
    item = decode(_blob_request(seq, array), worker)["items"][0]
    assert not item.flags.writeable and not item.flags.owndata
    assert worker.held == 1
    # Later payloads do not overwrite a view still alive.
    for _ in range(3):
        later = np.full(1000, 7, dtype=np.float32)
        decode(_blob_request(parent.send(later.tobytes()), later), worker)
    np.testing.assert_array_equal(item, array)
    del item
    gc.collect()
    assert worker.held == 0


def test_past_half_the_samples_payloads_are_copied_out_and_released(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    kept = []
    for i in range(SAMPLES + 2):
        array = np.full(100, i, dtype=np.int32)
        kept.append(decode(_blob_request(parent.send(array.tobytes()), array), worker)["items"][0])
    assert worker.held == SAMPLES // 2
    assert [int(a[0]) for a in kept] == list(range(SAMPLES + 2))


def test_older_samples_are_dropped_and_a_missing_one_is_a_malformed_frame(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    parent.send(b"abandoned" * 8)
    array = np.ones(20, dtype=np.float32)
    seq = parent.send(array.tobytes())
    assert decode(_blob_request(seq, array), worker)["items"][0].sum() == 20
    with pytest.raises(MalformedFrame, match="payload 5 is missing from shared memory"):
        decode(_blob_request(5, array), worker)


def test_replies_send_large_parts_as_blobs_up_to_the_capacity_the_rest_inline(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    arrays = [np.full(64, i, dtype=np.float64) for i in range(SAMPLES + 2)]
    reply = {"op": "result", "seq": 3, "outputs": [*arrays, Audio(np.zeros(4, np.float32), 16000)]}
    parts = encode_parts(reply, worker)
    got = [parent.receive() for _ in range(SAMPLES)]
    assert [seq for seq, _ in got] == list(range(SAMPLES))
    assert got[1][1] == arrays[1].tobytes()
    assert parent.subscriber.receive() is None  # the other parts are in the frame
    with pytest.raises(CodecError, match="without a payload channel"):
        decode(b"".join(bytes(p) for p in parts))


def _shared_request(seq: int, offset: int, array: np.ndarray[Any, Any]) -> bytes:
    """A ``process`` request whose one item is a tensor sent as a shared reference."""
    import msgpack

    header = msgpack.packb([array.dtype.name, list(array.shape)])
    payload = struct.pack(">IIII", 2, seq, array.nbytes, offset) + header
    return bytes(msgpack.packb({"op": "process", "seq": 1, "items": [msgpack.ExtType(1, payload)]}))


def _references(parts: list[Any]) -> list[tuple[int, ...]]:
    """The shared or blob references (kind, seq, length[, offset]) of an encoded reply's outputs."""
    import msgpack

    body = b"".join(bytes(p) for p in parts)
    refs = []
    for ext in msgpack.unpackb(body)["outputs"]:
        (kind,) = struct.unpack_from(">I", ext.data)
        refs.append(struct.unpack_from(">IIII" if kind == 2 else ">III", ext.data))
    return refs


def test_an_output_over_a_received_payload_goes_back_by_reference_pinned_until_released(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    array = np.arange(1000, dtype=np.float32)
    seq = parent.send(array.tobytes())
    item = decode(_blob_request(seq, array), worker)["items"][0]
    parts = encode_parts({"op": "result", "seq": 1, "outputs": [item, item[500:]]}, worker)
    # no copy: references to the parent's own payload (the whole, then bytes 2000..), no sample sent
    assert _references(parts) == [(2, seq, 4000, 0), (2, seq, 2000, 2000)]
    assert parent.subscriber.receive() is None
    assert worker.pinned == 1
    del item, parts
    gc.collect()
    assert worker.held == 1  # the parent's views keep it
    parent.release(seq)
    later = np.ones(100, dtype=np.float32)
    decode(_blob_request(parent.send(later.tobytes()), later), worker)  # the notice goes first
    assert worker.pinned == 1  # one reference of two released
    parent.release(seq)
    decode(_blob_request(parent.send(later.tobytes()), later), worker)
    gc.collect()
    assert (worker.pinned, worker.held) == (0, 0)


def test_a_shared_reference_from_the_parent_is_taken_once_and_pinned_per_reference(
    pair: tuple[Parent, ShmChannel],
) -> None:
    parent, worker = pair
    array = np.arange(256, dtype=np.int32)
    seq = parent.send(array.tobytes())
    first = decode(_shared_request(seq, 0, array), worker)["items"][0]
    second = decode(_shared_request(seq, 512, array[128:]), worker)["items"][0]
    np.testing.assert_array_equal(first, array)
    np.testing.assert_array_equal(second, array[128:])
    assert not second.flags.writeable and not second.flags.owndata
    assert second.ctypes.data == first.ctypes.data + 512  # the same sample
    assert worker.pinned == 1
    del first, second
    gc.collect()
    assert worker.held == 1  # pinned for the parent's view
    parent.release(seq, seq)
    later = np.ones(100, dtype=np.float32)
    decode(_blob_request(parent.send(later.tobytes()), later), worker)
    gc.collect()
    assert (worker.pinned, worker.held) == (0, 0)
    with pytest.raises(MalformedFrame, match="outside its 1024-byte payload"):
        decode(_shared_request(parent.send(array.tobytes()), 8, array), worker)
    with pytest.raises(MalformedFrame, match="not pinned"):
        parent.release(seq)
        decode(_blob_request(parent.send(later.tobytes()), later), worker)


def test_the_version_is_the_wheels() -> None:
    assert iceoryx2_version() == "0.10.0"
