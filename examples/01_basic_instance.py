"""Basic instance execution: a configured, stateful Python Node object run as a pipeline.

Shows: execute_pipeline_with_input([node], items) runs the object you built, and what happens to its
state per transport — on inproc the caller's own object did the work (its running totals are
there afterwards); on ipc/iceoryx it was pickled into a worker, whose copy did the work. A
standalone `python` caller serves its instances from its own process on every transport.

Run: `npx remotemedia run examples/01_basic_instance.py [-- ipc|iceoryx]`,
or standalone: `REMOTEMEDIA_CLI=packages/cli/dist/bin.js python/.venv/bin/python examples/01_basic_instance.py ipc`.
"""

from __future__ import annotations

import asyncio

from remotemedia import execute_pipeline_with_input

from example_nodes import RunningStats, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    stats = RunningStats(name="stats")
    items = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    outputs = await execute_pipeline_with_input([stats], items, transport=transport)
    print(f"transport: {transport}")
    for out in outputs:
        print(f"x={out['x']:<4} n={out['n']} mean={out['mean']:<6} std={out['std']}")
    print(
        f"the caller's object afterwards: n={stats.count} mean={stats.mean:.3f}"
        f" (it ran in: {stats.ran_in})"
    )


if __name__ == "__main__":
    asyncio.run(main())
