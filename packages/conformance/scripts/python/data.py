"""Conformance (Python API): every kind of data round-trips through an identity node, as it went in."""

import asyncio
import json

import numpy as np

from remotemedia import Audio, Node, VideoFrame, execute_pipeline_with_input


class Identity(Node):
    def process(self, x):
        return x


def same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, Audio):
        return (
            isinstance(b, Audio)
            and a.sample_rate == b.sample_rate
            and a.channels == b.channels
            and same(np.asarray(a.samples), np.asarray(b.samples))
        )
    if isinstance(a, VideoFrame):
        return isinstance(b, VideoFrame) and (a.width, a.height, a.format, bytes(a.data)) == (
            b.width,
            b.height,
            b.format,
            bytes(b.data),
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


CASES = {
    "str": "héllo \u2603",
    "int": 42,
    "int_beyond_2_53": 2**60 + 1,
    "negative_big_int": -(2**70),
    "float": 0.1,
    "bool": True,
    "dict_with_type_key": {"type": "audio", "n": [1, 2]},
    "nested_list": [[1, "a"], {"k": None}],
    "bytes": b"\x00\x01\xffraw",
    "audio": Audio(samples=np.linspace(-1, 1, 320, dtype=np.float32), sample_rate=16000, channels=1),
    "video": VideoFrame(data=bytes(range(48)), width=4, height=4, format="rgb24"),
    **{
        f"ndarray_{dtype}": np.arange(24, dtype=dtype).reshape(2, 3, 4)
        for dtype in ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
    },
    "ndarray_1mib": np.random.default_rng(1).random(1 << 17),
}


async def main():
    names = list(CASES)
    outputs = await execute_pipeline_with_input([Identity(name="identity")], [CASES[n] for n in names])
    report = {
        name: "ok" if same(CASES[name], out) else f"changed: {type(out).__name__} {out!r:.80}"
        for name, out in zip(names, outputs, strict=True)
    }
    print(json.dumps({"count": len(outputs), "cases": report}))


if __name__ == "__main__":
    asyncio.run(main())
