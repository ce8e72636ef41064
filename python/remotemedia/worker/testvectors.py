"""The shared test vectors of PROTOCOL.md: tagged-JSON helpers and the python_to_ts messages.

Also :func:`split_body`, a split-body writer for tests (the Python encoder never
writes split bodies; the TypeScript one does).

``python -m remotemedia.worker.testvectors --write`` regenerates
``vectors/python_to_ts.json`` from :data:`PYTHON_TO_TS` with this encoder
(do it only after a deliberate encoding change; the TypeScript suite decodes
that file). ``vectors/ts_to_python.json`` is written by the TypeScript suite.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import msgpack
import numpy as np

from ..data import Audio, VideoFrame
from .codec import EXT_PICKLE, _media_payload, _split_media, decode, encode
from .framing import frame

__all__ = ["PYTHON_TO_TS", "VECTORS_DIR", "TailPart", "load", "split_body", "tag", "untag"]

VECTORS_DIR: Final = Path(__file__).parent / "vectors"

_SAFE: Final = 2**53


# ---------------------------------------------------------------------------
# TAGGED JSON
# ---------------------------------------------------------------------------


def tag(value: Any) -> Any:
    """A Python value as tagged JSON (see PROTOCOL.md, "Test vectors")."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else {"$bigint": str(value)}
    if isinstance(value, float):
        if math.isfinite(value) and not value.is_integer():
            return value
        return {"$float": "nan" if math.isnan(value) else repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [tag(v) for v in value]
    if isinstance(value, dict):
        return {str(k): tag(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        little = value.astype(value.dtype.newbyteorder("<"), copy=False)
        return {
            "$tensor": {
                "dtype": value.dtype.name,
                "shape": list(value.shape),
                "data": np.ascontiguousarray(little).tobytes().hex(),
            }
        }
    if isinstance(value, Audio):
        return {
            "$audio": {
                "sample_rate": value.sample_rate,
                "channels": value.channels,
                "samples": value.samples.astype("<f4").tobytes().hex(),
            }
        }
    if isinstance(value, VideoFrame):
        return {
            "$video": {
                "width": value.width,
                "height": value.height,
                "format": value.format,
                "data": value.data.hex(),
            }
        }
    # Anything else travels pickled (ext 4): tag its exact payload.
    code, payload = msgpack.unpackb(encode(value), ext_hook=lambda c, d: (c, d))
    if code != EXT_PICKLE:
        raise TypeError(f"cannot tag {type(value).__name__}")
    header, _, offset, _ = _split_media(payload, None)
    return {"$pickle": {"type_name": header[0], "data": payload[offset:].hex()}}


def untag(value: Any) -> Any:
    """Tagged JSON back to the Python value it stands for."""
    if isinstance(value, list):
        return [untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, body),) = value.items()
        if key == "$bytes":
            return bytes.fromhex(body)
        if key == "$bigint":
            return int(body)
        if key == "$float":
            return float(body)
        if key == "$tensor":
            data = bytes.fromhex(body["data"])
            return np.frombuffer(data, dtype=np.dtype(body["dtype"]).newbyteorder("<")).reshape(
                body["shape"]
            )
        if key == "$audio":
            samples = np.frombuffer(bytes.fromhex(body["samples"]), dtype="<f4")
            return Audio(samples, body["sample_rate"], body["channels"])
        if key == "$video":
            return VideoFrame(
                bytes.fromhex(body["data"]), body["width"], body["height"], body["format"]
            )
        if key == "$pickle":
            payload = _media_payload([body["type_name"]], bytes.fromhex(body["data"]))
            return msgpack.ExtType(EXT_PICKLE, payload)
    return {k: untag(v) for k, v in value.items()}


# ---------------------------------------------------------------------------
# SPLIT BODIES, written out from PROTOCOL.md ("Frames")
# ---------------------------------------------------------------------------


class TailPart:
    """A media value :func:`split_body` puts in its tail: extension ``code``, ``header``, ``raw``.

    ``ref`` replaces the (start, length) its tail reference names, to write broken bodies.
    """

    def __init__(
        self, code: int, header: list[Any], raw: bytes, ref: tuple[int, int] | None = None
    ) -> None:
        self.code = code
        self.header = header
        self.raw = raw
        self.ref = ref


def split_body(message: Any) -> tuple[bytes, list[int]]:
    """``message`` (msgpack values, ``ExtType`` and :class:`TailPart` values) as a split body.

    Each part's raw bytes go to the tail, 8-aligned, in order. Returns the body
    and where each part's raw bytes start in it.
    """
    starts: list[int] = []

    def pack() -> tuple[bytes, list[TailPart]]:
        parts: list[TailPart] = []

        def reference(part: Any) -> msgpack.ExtType:
            if not isinstance(part, TailPart):
                raise TypeError(f"cannot pack a {type(part).__name__}")
            start, length = part.ref or (starts[len(parts)] if starts else 0, len(part.raw))
            parts.append(part)
            header: bytes = msgpack.packb(part.header)
            return msgpack.ExtType(part.code, struct.pack(">III", 0, start, length) + header)

        packed: bytes = msgpack.packb(message, default=reference)
        return packed, parts

    packed, parts = pack()  # the map's length does not depend on the starts
    end = 5 + len(packed)
    for part in parts:
        end += -end % 8
        starts.append(end)
        end += len(part.raw)
    packed, _ = pack()
    body = bytearray(b"\xc1" + struct.pack(">I", len(packed)) + packed)
    for part, start in zip(parts, starts):
        body += bytes(start - len(body)) + part.raw
    return bytes(body), starts


# ---------------------------------------------------------------------------
# THE python_to_ts MESSAGES
# ---------------------------------------------------------------------------

_EVERY_KIND: Final[list[Any]] = [
    "héllo 🎧 wörld",
    "",
    0,
    -1,
    127,
    128,
    -33,
    65535,
    2**31,
    2**53,
    2**53 + 1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    2**64,
    -(2**64) - 5,
    2**100,
    1.5,
    -0.25,
    2.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    bytes(range(256)),
    b"",
    [1, [2, [3]], []],
    {"type": "audio", "samples": [0.5], "nested": {"k": [None]}},
    {},
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.array([-1.5, 2.25], dtype=np.float64),
    np.array([-128, 127], dtype=np.int8),
    np.array([1, -2], dtype=np.int16),
    np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    np.array([-(2**63), 2**63 - 1], dtype=np.int64),
    np.array([0, 255], dtype=np.uint8),
    np.array([65535], dtype=np.uint16),
    np.array([2**32 - 1], dtype=np.uint32),
    np.array([2**64 - 1], dtype=np.uint64),
    np.zeros((0, 3), dtype=np.float32),
    Audio(np.array([0.0, 0.5, -0.5, 1.0], dtype=np.float32), sample_rate=16000, channels=2),
    VideoFrame(bytes(range(12)), width=2, height=2, format="rgb24"),
    VideoFrame(bytes([7] * 6), width=2, height=2, format="yuv420p"),
]


_HELLO: Final = {
    "op": "hello",
    "protocol": 1,
    "pid": 4242,
    "python": "3.11.7",
    "cloudpickle": "3.1.3",
    "msgpack": "1.1.0",
    "numpy": "2.0.0",
    "remotemedia": "0.1.0",
}


def _python_to_ts() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("hello", _HELLO),
        ("hello_before_numpy", {**_HELLO, "numpy": None}),
        (
            "loaded",
            {
                "op": "loaded",
                "slot": 0,
                "node_id": "scale",
                "name": "scale",
                "class_name": "remotemedia.testing.nodes.Scale",
                "is_source": False,
                "seq": 1,
            },
        ),
        ("result_every_kind", {"op": "result", "outputs": _EVERY_KIND, "seq": 2}),
        (
            "result_pickled_object",
            {"op": "result", "outputs": [Fraction(1, 3)], "seq": 3},
        ),
        (
            "result_timed",
            {"op": "result", "outputs": [1], "times": {"a": [0.5], "b": [0.25]}, "seq": 4},
        ),
        ("result_pull", {"op": "result", "outputs": [0, 1], "done": True, "seq": 5}),
        (
            "error_process",
            {
                "op": "error",
                "seq": 6,
                "phase": "process",
                "node_id": "acc",
                "type": "ValueError",
                "module": "builtins",
                "message": "bad item 2",
                "traceback": 'Traceback (most recent call last):\n  File "x.py", line 1, in process\nValueError: bad item 2\n',
                "index": 2,
                "outputs": [10, 20],
            },
        ),
        (
            "error_protocol",
            {
                "op": "error",
                "seq": None,
                "phase": "protocol",
                "node_id": None,
                "type": "ProtocolError",
                "module": "remotemedia.worker.framing",
                "message": "truncated frame: stream ended after 2 of 4 header bytes",
                "traceback": "",
                "index": None,
            },
        ),
        ("ok", {"op": "ok", "seq": 7}),
        ("ok_state", {"op": "ok", "state": b"\x80\x05N.", "seq": 8}),
        (
            "error_cancelled",
            {
                "op": "error",
                "seq": 9,
                "phase": "cancelled",
                "node_id": "acc",
                "type": "Cancelled",
                "module": "remotemedia.worker",
                "message": "request 9 was cancelled",
                "traceback": "",
                "index": None,
                "done": True,
            },
        ),
        (
            "error_live_process",
            {
                "op": "error",
                "seq": 10,
                "phase": "process",
                "node_id": "counter_0",
                "type": "ValueError",
                "module": "builtins",
                "message": "bad item 2",
                "traceback": 'Traceback (most recent call last):\n  File "x.py", line 1, in process\nValueError: bad item 2\n',
                "index": 2,
                "outputs": [],
                "exception": 7,
            },
        ),
        (
            "control_run_nodes",
            {
                "op": "run",
                "pipeline": {
                    "nodes": [
                        {
                            "live": 1,
                            "name": "counter",
                            "class_name": "__main__.Counter",
                            "is_source": False,
                        },
                        {
                            "id": "calc",
                            "node_type": "CalculatorNode",
                            "params": {"operation": "add", "operand": 1},
                        },
                    ],
                    "name": None,
                },
                "inputs": [1, np.array([1.5, -2.0], dtype=np.float32)],
                "transport": None,
                "seq": 1,
            },
        ),
        (
            "control_run_manifest",
            {
                "op": "run",
                "pipeline": {
                    "manifest": {
                        "version": "v1",
                        "metadata": {"name": "m"},
                        "nodes": [{"id": "calc", "node_type": "CalculatorNode", "params": {}}],
                        "connections": [],
                    }
                },
                "inputs": [""],
                "transport": "ipc",
                "seq": 2,
            },
        ),
        ("control_shutdown", {"op": "shutdown", "seq": 3}),
    ]


PYTHON_TO_TS: Final = _python_to_ts()
"""(name, message) pairs this encoder writes to ``vectors/python_to_ts.json``."""


def load(direction: str) -> list[dict[str, Any]]:
    """The vectors of one direction: ``ts_to_python`` or ``python_to_ts``."""
    document = json.loads((VECTORS_DIR / f"{direction}.json").read_text("utf-8"))
    vectors: list[dict[str, Any]] = document["vectors"]
    return vectors


def _entries() -> Iterator[dict[str, Any]]:
    for name, message in PYTHON_TO_TS:
        body = encode(message)
        yield {"name": name, "frame": frame(body).hex(), "message": tag(decode(body))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m remotemedia.worker.testvectors")
    parser.add_argument("--write", action="store_true", help="rewrite vectors/python_to_ts.json")
    args = parser.parse_args(argv)
    document = {
        "direction": "python_to_ts",
        "protocol": 1,
        "about": "frames written by the Python encoder; see PROTOCOL.md, 'Test vectors'",
        "vectors": list(_entries()),
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.write:
        (VECTORS_DIR / "python_to_ts.json").write_text(text, "utf-8")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
