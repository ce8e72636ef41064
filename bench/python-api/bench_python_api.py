"""One way of running the Python-API benchmark's identity pipeline (a plain loop, or execute_pipeline_with_input standalone or inside the runtime); prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_nodes import BenchIdentity
from remotemedia import Audio, execute_pipeline_with_input


def make_items(case: str, n: int) -> list[object]:
    """``small``: n 20 ms Audio chunks (320 float32 at 16 kHz); ``mib``: n 1 MiB float32 arrays."""
    if case == "small":
        return [Audio(np.full(320, 0.25, dtype=np.float32), 16_000) for _ in range(n)]
    return [np.full(1 << 18, 0.5, dtype=np.float32) for _ in range(n)]


def check(items: list[object], outputs: list[object]) -> None:
    if len(outputs) != len(items):
        raise RuntimeError(f"expected {len(items)} outputs, got {len(outputs)}")
    last = outputs[-1]
    size = last.samples.size if isinstance(last, Audio) else np.asarray(last).size
    expected = (
        items[-1].samples.size if isinstance(items[-1], Audio) else items[-1].size
    )
    if size != expected:
        raise RuntimeError(f"the identity returned {size} elements, not {expected}")


async def main(
    way: str, case: str, n: int, repeats: int, transport: str | None
) -> None:
    node = BenchIdentity(name="identity")
    items = make_items(case, n)
    if way == "loop":

        async def once() -> list[object]:
            return [node.process(x) for x in items]

    else:

        async def once() -> list[object]:
            return await execute_pipeline_with_input([node], items, transport=transport)

    first_ns = None
    if way != "loop":  # the first call: standalone, it starts the runtime child
        t0 = time.perf_counter_ns()
        await execute_pipeline_with_input([node], items[:1], transport=transport)
        first_ns = time.perf_counter_ns() - t0
    check(items, await once())  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        outputs = await once()
        times.append(time.perf_counter_ns() - t0)
        check(items, outputs)
    print(
        json.dumps(
            {
                "way": way,
                "case": case,
                "items": n,
                "nsPerRun": statistics.median(times),
                "firstNs": first_ns,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    way, case, count, reps = sys.argv[1:5]
    asyncio.run(
        main(
            way, case, int(count), int(reps), sys.argv[5] if len(sys.argv) > 5 else None
        )
    )
