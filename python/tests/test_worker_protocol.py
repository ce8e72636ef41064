"""Worker protocol: the shared test vectors (both directions), the data codec and framing."""

from __future__ import annotations

import io
import json
import math
import struct
import threading
from collections import OrderedDict, deque
from typing import Any

import msgpack
import numpy as np
import pytest

from remotemedia import Audio, VideoFrame
from remotemedia.worker import codec
from remotemedia.worker.codec import CodecError, MalformedFrame, decode, encode
from remotemedia.worker.framing import FrameReader, FrameTooLarge, FrameWriter, ProtocolError, frame
from remotemedia.worker.testvectors import (
    PYTHON_TO_TS,
    VECTORS_DIR,
    TailPart,
    load,
    split_body,
    tag,
    untag,
)

# ---------------------------------------------------------------------------
# SHARED VECTORS
# ---------------------------------------------------------------------------

PY_VECTORS = load("python_to_ts")
TS_VECTORS = load("ts_to_python") if (VECTORS_DIR / "ts_to_python.json").exists() else []


@pytest.mark.parametrize("vector", PY_VECTORS, ids=[v["name"] for v in PY_VECTORS])
def test_python_to_ts_encoder_writes_the_exact_frame(vector: dict[str, Any]) -> None:
    assert frame(encode(untag(vector["message"]))).hex() == vector["frame"]


def test_python_to_ts_vectors_cover_every_message_of_the_generator() -> None:
    assert [v["name"] for v in PY_VECTORS] == [name for name, _ in PYTHON_TO_TS]


@pytest.mark.parametrize("vector", TS_VECTORS, ids=[v["name"] for v in TS_VECTORS])
def test_ts_to_python_frame_decodes_to_its_message(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["frame"])
    reader = FrameReader(io.BytesIO(data))
    body = reader.read()
    assert body is not None and reader.read() is None
    assert tag(decode(body)) == vector["message"]


def test_ts_to_python_vectors_exist_and_cover_every_request() -> None:
    ops = {v["message"]["op"] for v in TS_VECTORS}
    assert ops >= {
        "load_manifest",
        "load_instance",
        "process",
        "pull",
        "end",
        "cancel",
        "cleanup",
        "shutdown",
        "load_live",
        "hello",
        "outputs",
        "error",
        "ok",
    }


def test_vector_files_are_valid_json_with_their_direction() -> None:
    for direction in ("python_to_ts", "ts_to_python"):
        document = json.loads((VECTORS_DIR / f"{direction}.json").read_text("utf-8"))
        assert document["direction"] == direction and document["protocol"] == 1


# ---------------------------------------------------------------------------
# CODEC
# ---------------------------------------------------------------------------


def roundtrip(value: Any) -> Any:
    return decode(encode(value))


@pytest.mark.parametrize(
    "value",
    [
        "emoji 🎧 and ü",
        0,
        -(2**63),
        2**64 - 1,
        2**64,
        -(2**200),
        1.25,
        True,
        None,
        bytes(range(256)),
        [1, [2, []], "x"],
        {"type": "tensor", "shape": [1]},
        {"nested": {"deep": [{"a": None}]}},
    ],
)
def test_plain_values_round_trip_exactly(value: Any) -> None:
    out = roundtrip(value)
    assert out == value and type(out) is type(value)


def test_nan_and_infinities_stay_floats() -> None:
    assert math.isnan(roundtrip(float("nan")))
    assert roundtrip(float("-inf")) == float("-inf")
    assert type(roundtrip(2.0)) is float


def test_tuples_arrive_as_lists_and_bytearrays_as_bytes() -> None:
    assert roundtrip((1, (2, 3))) == [1, [2, 3]]
    assert roundtrip(bytearray(b"ab")) == b"ab"
    assert roundtrip(memoryview(b"cd")) == b"cd"


def test_numpy_scalars_travel_as_plain_numbers() -> None:
    out = roundtrip([np.int64(5), np.float32(0.5), np.bool_(True), np.uint8(7)])
    assert out == [5, 0.5, True, 7]
    assert [type(v) for v in out] == [int, float, bool, int]


@pytest.mark.parametrize("dtype", sorted(codec.TENSOR_DTYPES))
def test_tensors_round_trip_every_dtype(dtype: str) -> None:
    array = (np.arange(24) % 100).astype(dtype).reshape(2, 3, 4)
    out = roundtrip(array)
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)


def test_tensor_is_a_read_only_aligned_view_of_the_payload_without_copy() -> None:
    out = roundtrip(np.arange(1000, dtype=np.float64))
    root = out
    while isinstance(root, np.ndarray):
        root = root.base
    assert isinstance(root, bytes)  # np.frombuffer over the extension payload
    assert not out.flags.writeable
    assert out.ctypes.data % 8 == 0
    assert out.flags.aligned


def test_non_contiguous_and_big_endian_arrays_are_sent_as_their_values() -> None:
    a = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]
    np.testing.assert_array_equal(roundtrip(a), a)
    b = np.array([1.5, -2.0], dtype=">f8")
    out = roundtrip(b)
    assert out.dtype == np.dtype("float64")
    np.testing.assert_array_equal(out, b)


def test_arrays_of_other_dtypes_travel_pickled() -> None:
    for array in (np.array([True, False]), np.array([1 + 2j]), np.array([1.0], dtype=np.float16)):
        out = roundtrip(array)
        assert out.dtype == array.dtype
        np.testing.assert_array_equal(out, array)
    payload = msgpack.unpackb(encode(np.array([True])), ext_hook=lambda c, d: c)
    assert payload == codec.EXT_PICKLE


def test_audio_and_video_frames_round_trip() -> None:
    audio = roundtrip(Audio(np.array([0.25, -0.5, 1.0, 0.0], dtype=np.float32), 48000, 2))
    assert isinstance(audio, Audio) and (audio.sample_rate, audio.channels) == (48000, 2)
    np.testing.assert_array_equal(audio.samples, [0.25, -0.5, 1.0, 0.0])
    frame_ = roundtrip(VideoFrame(bytes(range(16)), 2, 2, "rgba"))
    assert isinstance(frame_, VideoFrame)
    assert (frame_.width, frame_.height, frame_.format, frame_.data) == (
        2,
        2,
        "rgba",
        bytes(range(16)),
    )


class _Point:
    def __init__(self, x: int) -> None:
        self.x = x


def test_python_only_objects_travel_pickled_by_value() -> None:
    out = roundtrip({"set": {1, 2}, "deque": deque([1]), "obj": _Point(3), "od": OrderedDict(a=1)})
    assert out["set"] == {1, 2}
    assert out["deque"] == deque([1])
    assert out["od"] == {"a": 1}  # dict (and list) subclasses travel as dicts (lists)
    assert out["obj"].x == 3
    header = msgpack.unpackb(
        encode(_Point(1)), ext_hook=lambda c, d: codec._split_media(d, None)[0]
    )
    assert header == ["test_worker_protocol._Point"]


def test_unpicklable_values_fail_with_a_codec_error_naming_the_type() -> None:
    with pytest.raises(CodecError, match="lock"):
        encode({"x": threading.Lock()})
    assert roundtrip([1]) == [1]  # the packer is usable afterwards


def test_a_failed_encoding_leaves_no_placeholder_behind() -> None:
    big = np.zeros(codec.BLOB_THRESHOLD, np.float32)  # packed as a placeholder before the failure
    with pytest.raises(CodecError, match="lock"):
        codec.encode_parts({"big": big, "x": threading.Lock()})
    assert codec.encode_parts({"ok": 1}) == [encode({"ok": 1})]


def test_threads_encoding_at_once_never_share_a_packer() -> None:
    big = np.arange(codec.BLOB_THRESHOLD, dtype=np.float32)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                message = {"n": n, "i": i, "big": big, "pickled": _Point(n)}
                out = decode(b"".join(bytes(p) for p in codec.encode_parts(message)))
                assert (out["n"], out["i"], out["pickled"].x) == (n, i, n)
                np.testing.assert_array_equal(out["big"], big)
                assert decode(encode([n, i])) == [n, i]
        except BaseException as exc:  # noqa: BLE001 (whatever a thread raises, the main thread reports)
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_64_mib_tensor_round_trips() -> None:
    array = np.arange(16 * 1024 * 1024, dtype=np.float32)  # 64 MiB
    body = encode({"op": "result", "outputs": [array], "seq": 1})
    assert len(body) > 64 * 1024 * 1024
    out = decode(body)["outputs"][0]
    assert out.shape == array.shape and out[-1] == array[-1]
    np.testing.assert_array_equal(out[::4096], array[::4096])


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (msgpack.ExtType(99, b""), "unknown msgpack extension type 99"),
        (msgpack.ExtType(1, b"\x00"), "shorter than its header"),
        (msgpack.ExtType(1, b"\x00\x00\x00\xff"), "outside its 4-byte payload"),
        (
            msgpack.ExtType(1, bytes(12) + msgpack.packb(["uint8", [0]])),
            "tail reference \\(raw offset 0\\) outside a split body",
        ),
        (msgpack.ExtType(1, codec._media_payload(["float32", [3]], b"\0" * 8)), "needs 12 bytes"),
        (
            msgpack.ExtType(1, codec._media_payload(["complex64", [1]], b"\0" * 8)),
            "unknown tensor dtype",
        ),
        (msgpack.ExtType(2, codec._media_payload([0, 1], b"")), "invalid audio"),
        (msgpack.ExtType(3, codec._media_payload([2, 2, "rgb24"], b"")), "invalid video frame"),
        (msgpack.ExtType(4, codec._media_payload(["x"], b"not a pickle")), "cannot unpickle a x"),
    ],
)
def test_invalid_extension_payloads_fail_with_codec_errors(payload: Any, match: str) -> None:
    with pytest.raises(CodecError, match=match):
        decode(msgpack.packb(payload))


def test_invalid_msgpack_fails_with_a_codec_error() -> None:
    with pytest.raises(CodecError, match="invalid msgpack"):
        decode(b"\x92\x01")
    with pytest.raises(CodecError, match="invalid msgpack in a split body"):
        decode(b"\xc1\x00\x00\x00\x01\x92")


# ---------------------------------------------------------------------------
# SPLIT BODIES
# ---------------------------------------------------------------------------


def _tensor_part(array: np.ndarray[Any, Any], ref: tuple[int, int] | None = None) -> TailPart:
    return TailPart(codec.EXT_TENSOR, [array.dtype.name, list(array.shape)], array.tobytes(), ref)


def test_split_body_decodes_every_media_kind_from_its_tail() -> None:
    tensor = np.arange(12, dtype=np.int32).reshape(3, 4)
    samples = np.array([0.5, -0.25, 1.0, 0.0], dtype=np.float32)
    pickled = encode({frozenset({1})})  # an ext 4 value: take its payload
    code, payload = msgpack.unpackb(pickled, ext_hook=lambda c, d: (c, d))
    header, _, offset, _ = codec._split_media(payload, None)
    inline = codec._media_payload(["int16", [2]], np.array([1, -2], np.int16).tobytes())
    small = msgpack.ExtType(codec.EXT_TENSOR, inline)
    message = {
        "op": "process",
        "seq": 3,
        "items": [
            _tensor_part(tensor),
            "between",
            TailPart(codec.EXT_AUDIO, [8000, 2], samples.tobytes()),
            TailPart(codec.EXT_VIDEO, [4, 2, "rgb24"], bytes(range(24))),
            small,  # an inline payload in a split body
            TailPart(code, header, payload[offset:]),
        ],
    }
    body, starts = split_body(message)
    assert all(start % 8 == 0 for start in starts)
    out = decode(body)
    assert (out["op"], out["seq"], out["items"][1]) == ("process", 3, "between")
    items = out["items"]
    np.testing.assert_array_equal(items[0], tensor)
    assert items[0].dtype == np.int32
    assert isinstance(items[2], Audio) and (items[2].sample_rate, items[2].channels) == (8000, 2)
    np.testing.assert_array_equal(items[2].samples, samples)
    assert isinstance(items[3], VideoFrame) and items[3].data == bytes(range(24))
    np.testing.assert_array_equal(items[4], [1, -2])
    assert items[5] == {frozenset({1})}


def test_split_body_tail_parts_are_read_only_views_of_the_body_without_copy() -> None:
    tensor = np.arange(4096, dtype=np.float64)
    samples = np.ones(1024, np.float32)
    audio_part = TailPart(codec.EXT_AUDIO, [8000, 1], samples.tobytes())
    encoded, starts = split_body([_tensor_part(tensor), audio_part])
    body = bytearray(encoded)  # writable memory, as the frame reader's buffer is
    out, audio = decode(memoryview(body))
    whole = np.frombuffer(body, np.uint8)
    assert np.shares_memory(out, whole) and np.shares_memory(audio.samples, whole)
    address = whole.ctypes.data
    assert out.ctypes.data == address + starts[0]
    assert audio.samples.ctypes.data == address + starts[1]
    np.testing.assert_array_equal(out, tensor)
    for array in (out, audio.samples):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="WRITEABLE"):
            array.flags.writeable = True


def test_split_body_with_large_pickles_and_video_frames() -> None:
    blob = bytes(range(256)) * 1024
    code, payload = msgpack.unpackb(encode({blob}), ext_hook=lambda c, d: (c, d))
    header, _, offset, _ = codec._split_media(payload, None)
    video = bytes(range(256)) * 3 * 64
    parts = [
        TailPart(code, header, payload[offset:]),
        TailPart(codec.EXT_VIDEO, [128, 128, "rgb24"], video),
    ]
    body, _ = split_body(parts)
    out = decode(body)
    assert out[0] == {blob}
    assert out[1].data == video


def _one_tensor(ref: tuple[int, int] | None = None) -> bytes:
    return split_body([_tensor_part(np.arange(8, dtype=np.uint8), ref)])[0]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"\xc1\x00\x00", "split body of 3 bytes is shorter than its 5-byte header"),
        (b"\xc1\x00\x00\x00\x09\x80", "map length 9 is out of range for a 6-byte body"),
        (b"\xc1\x00\x00\x00\x00\x80", "map length 0 is out of range for a 6-byte body"),
        (b"\xc1\x00\x00\x00\x01\x90\x00\x00", "no extension value refers to its tail"),
    ],
)
def test_broken_split_bodies_are_malformed_frames(body: bytes, match: str) -> None:
    with pytest.raises(MalformedFrame, match=match):
        decode(body)


def test_tail_references_name_what_is_wrong_with_them() -> None:
    valid = _one_tensor()
    (start,) = split_body([_tensor_part(np.arange(8, dtype=np.uint8))])[1]
    assert start == 32 and len(valid) == 40  # a 25-byte map: the tail is bytes 30..40
    np.testing.assert_array_equal(decode(valid), [np.arange(8)])
    cases = [
        ((8, 8), "to bytes 8..16 is outside the tail \\(bytes 30..40 of the body\\)"),
        ((32, 16), "bytes 32..48 is outside the tail"),
        ((2**32 - 8, 8), "is outside the tail"),
        ((36, 4), "tail reference start 36 is not a multiple of 8"),
    ]
    for ref, match in cases:
        with pytest.raises(CodecError, match=match) as caught:
            decode(_one_tensor((ref[0], ref[1])))
        assert not isinstance(caught.value, MalformedFrame)  # one value's fault, not the frame's
    short = b"\xc1\x00\x00\x00\x09\x91\xc7\x05\x01\x00\x00\x00\x00\x90"
    with pytest.raises(CodecError, match="tail reference of 5 bytes is shorter than its header"):
        decode(short)


# ---------------------------------------------------------------------------
# FRAMING
# ---------------------------------------------------------------------------


def test_frames_are_length_prefixed_big_endian() -> None:
    assert frame(b"\x80") == b"\x00\x00\x00\x01\x80"


def test_reader_reads_consecutive_frames_then_a_clean_end() -> None:
    reader = FrameReader(io.BytesIO(frame(b"\x80") + frame(b"\x81\xa1a\x01")))
    assert reader.read() == b"\x80"
    assert decode(reader.read() or b"") == {"a": 1}
    assert reader.read() is None


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\x00\x00", "after 2 of 4 header bytes"),
        (b"\x00\x00\x00\x05\x80", "after 1 of 5 announced bytes"),
        (frame(bytes(70_000))[:1000], "after 996 of 70000 announced bytes"),
    ],
)
def test_reader_reports_truncated_frames(data: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        FrameReader(io.BytesIO(data)).read()
    with pytest.raises(ProtocolError, match=match):
        FrameReader(_Dribble(data)).read()


class _Dribble(io.RawIOBase):
    """A stream that hands over one byte per read, as a pipe may under load."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._data:
            return 0
        buffer[0] = self._data[0]
        self._data = self._data[1:]
        return 1


def test_reader_completes_frames_from_short_reads() -> None:
    big = bytes(range(256)) * 300  # over 64 KiB: read into the reused buffer
    reader = FrameReader(_Dribble(frame(b"\x80") + frame(big) + frame(b"\x81\xa1a\x01")))
    assert reader.read() == b"\x80"
    assert reader.read() == big
    assert decode(reader.read() or b"") == {"a": 1}
    assert reader.read() is None


def test_reader_reuses_one_buffer_for_large_frames_up_to_keep() -> None:
    bodies = [b"a" * 70_000, b"b" * 80_000, b"c" * 75_000, b"d" * 150_000, b"e" * 72_000]
    reader = FrameReader(io.BytesIO(b"".join(frame(b) for b in bodies)), keep=100_000)
    sizes = []
    for body in bodies:
        view = reader.read()
        assert isinstance(view, memoryview) and view == body
        sizes.append(len(view.obj))  # type: ignore[arg-type]
        del view
    # grown for a larger frame, reused for smaller ones, a buffer of its own over ``keep``
    assert sizes == [70_000, 80_000, 80_000, 150_000, 80_000]


def test_reader_reuses_its_buffer_only_once_nothing_decoded_from_it_is_alive() -> None:
    def tensor_frame(size: int, fill: int) -> bytes:
        return frame(split_body([_tensor_part(np.full(size, fill, np.uint8))])[0])

    frames = [tensor_frame(300_000, 1), tensor_frame(200_000, 2), tensor_frame(100_000, 3)]
    sizes = [len(f) - 4 for f in frames]
    reader = FrameReader(io.BytesIO(b"".join(frames)))

    def read() -> tuple[int, np.ndarray[Any, Any]]:
        body = reader.read()
        assert isinstance(body, memoryview)
        (array,) = decode(body)
        return len(body.obj), array  # type: ignore[arg-type]

    buffer1, first = read()
    buffer2, second = read()  # ``first`` still uses buffer 1: a new buffer
    assert (buffer1, buffer2) == (sizes[0], sizes[1])
    del second
    buffer3, third = read()  # nothing uses buffer 2 any more: reused
    assert buffer3 == sizes[1]
    assert (first == 1).all() and (third == 3).all()
    assert first.size == 300_000 and third.size == 100_000


def test_reader_refuses_a_frame_over_its_cap_from_the_header_alone() -> None:
    header_only = io.BytesIO(struct.pack(">I", 2000))
    with pytest.raises(
        ProtocolError, match="a frame announcing 2000 bytes exceeds the limit of 1000 bytes"
    ):
        FrameReader(header_only, max_frame=1000).read()
    assert header_only.tell() == 4  # nothing read past the header
    whole = frame(b"\x81\xa1a" + b"\x01" * 10)  # a whole small frame in the read-ahead window
    with pytest.raises(ProtocolError, match="announcing 13 bytes exceeds the limit of 12 bytes"):
        FrameReader(io.BytesIO(whole), max_frame=12).read()
    assert FrameReader(io.BytesIO(whole), max_frame=13).read() == whole[4:]


def test_reader_tells_whether_a_frame_is_waiting_without_blocking() -> None:
    import os

    r, w = os.pipe()
    with os.fdopen(r, "rb", buffering=0) as stream:
        reader = FrameReader(stream)
        assert not reader.waiting()
        os.write(w, frame(b"\x80") + frame(b"\x81\xa1a\x01"))
        assert reader.waiting()
        assert reader.read() == b"\x80"  # one read took both frames: the second is read ahead
        assert reader.waiting()
        assert decode(reader.read() or b"") == {"a": 1}
        assert not reader.waiting()
        os.close(w)
        assert reader.waiting()  # the end of the stream is there to read
        assert reader.read() is None
    assert not FrameReader(io.BytesIO(b"")).waiting()  # no descriptor, nothing read ahead


def test_writer_refuses_a_frame_over_its_cap_before_writing_anything() -> None:
    import os

    r, w = os.pipe()
    try:
        writer = FrameWriter(w, max_frame=100)
        with pytest.raises(
            FrameTooLarge, match="a frame of 101 bytes exceeds the limit of 100 bytes"
        ):
            writer.write(bytes(101))
        with pytest.raises(FrameTooLarge):
            writer.write_parts([bytes(60), memoryview(bytes(60))])
        writer.write(bytes(100))
        os.close(w)
        with os.fdopen(r, "rb") as stream:
            assert FrameReader(stream).read() == bytes(100)
    finally:
        for fd in (r, w):
            try:
                os.close(fd)
            except OSError:
                pass


def test_writer_writes_whole_frames_through_a_pipe() -> None:
    import os

    r, w = os.pipe()
    writer = FrameWriter(w)
    body = encode({"op": "ok", "seq": 1, "blob": bytes(300_000)})
    thread = threading.Thread(target=writer.write, args=(body,))
    thread.start()
    with os.fdopen(r, "rb") as stream:
        got = FrameReader(stream).read()
        thread.join()
        os.close(w)
    assert got == body


# ---------------------------------------------------------------------------
# SENDING LARGE VALUES WITHOUT COPIES
# ---------------------------------------------------------------------------


def test_encode_parts_splices_large_raw_parts_in_from_their_own_memory() -> None:
    big = np.arange(codec.BLOB_THRESHOLD, dtype=np.float32)  # 4x the threshold in bytes
    audio = Audio(np.ones(codec.BLOB_THRESHOLD, np.float32), 8000)
    small = np.arange(3, dtype=np.int16)
    message = {"op": "result", "outputs": [big, "x", small, audio, b"z" * 10], "seq": 1}
    parts = codec.encode_parts(message)
    body = b"".join(bytes(p) for p in parts)
    out = decode(body)
    np.testing.assert_array_equal(out["outputs"][0], big)
    assert out["outputs"][1] == "x"
    np.testing.assert_array_equal(out["outputs"][2], small)
    np.testing.assert_array_equal(out["outputs"][3].samples, audio.samples)
    assert out["outputs"][4] == b"z" * 10
    # the large arrays are among the parts as views of their own memory
    shared = [p for p in parts if isinstance(p, memoryview) and p.nbytes >= codec.BLOB_THRESHOLD]
    assert len(shared) == 2
    assert np.shares_memory(np.frombuffer(shared[0], np.float32), big)
    # and their raw bytes start 8-aligned from the start of the body
    start = body.index(big.tobytes())
    assert start % 8 == 0


def test_encode_parts_without_large_values_is_the_plain_encoding() -> None:
    message = {"op": "ok", "seq": 3, "state": b"abc"}
    assert codec.encode_parts(message) == [encode(message)]


def test_large_pickled_objects_are_spliced_too() -> None:
    value = {"blob": bytearray(200_000)}  # dict keys ok; a set forces pickling
    payload = {"s": {frozenset({1}), b"x" * 200_000}}
    body = b"".join(bytes(p) for p in codec.encode_parts(payload))
    assert decode(body) == payload
    assert decode(b"".join(bytes(p) for p in codec.encode_parts(value))) == {"blob": bytes(200_000)}


def test_frame_writer_gathers_parts_into_one_frame() -> None:
    import os

    big = np.arange(100_000, dtype=np.float64)
    r, w = os.pipe()
    writer = FrameWriter(w)
    thread = threading.Thread(target=writer.write_parts, args=(codec.encode_parts({"a": big}),))
    thread.start()
    with os.fdopen(r, "rb") as stream:
        got = FrameReader(stream).read()
        thread.join()
        os.close(w)
        assert got is not None
        np.testing.assert_array_equal(decode(got)["a"], big)
