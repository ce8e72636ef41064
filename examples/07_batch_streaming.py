"""Batch streaming with state: a node that gathers items into batches and keeps running totals.

Shows: 10 readings through a manifest AddNode (calibration offset) into BatchStats(size=4): an
input that completes a batch yields its stats, the others yield nothing; the open batch, the
batch count and the grand total live in the node across items (the last 2 readings stay open).

Run: `npx remotemedia run examples/07_batch_streaming.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio

from remotemedia import execute_pipeline_with_input

from example_nodes import BatchStats, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    offset = {"id": "calibrate", "node_type": "AddNode", "params": {"addend": 0.5}}
    batcher = BatchStats(name="batcher", size=4)
    readings = [1.5, 2.5, 3.5, 0.5, 9.5, 4.5, 6.5, 7.5, 2.5, 1.5]
    outputs = await execute_pipeline_with_input([offset, batcher], readings, transport=transport)
    print(f"transport: {transport}")
    print(f"{len(readings)} readings in, {len(outputs)} batches out")
    for out in outputs:
        print(
            f"batch {out['batch']}: min={out['min']} max={out['max']} mean={out['mean']}"
            f" running_total={out['running_total']}"
        )


if __name__ == "__main__":
    asyncio.run(main())
