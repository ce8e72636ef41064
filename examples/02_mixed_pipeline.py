"""Mixed manifest + instance pipelines: manifest node dicts and live Node objects in one list.

Shows: a CalculatorNode built by the registry from a manifest dict, then the caller's own
RunningStats object, then another manifest node; the same list run as a Pipeline object whose
to_manifest() shows how instances are described when serialized.

Run: `npx remotemedia run examples/02_mixed_pipeline.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio

from remotemedia import execute_pipeline_with_input

from example_nodes import RunningStats, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    celsius = {
        "id": "to_c",
        "node_type": "CalculatorNode",
        "params": {"operation": "subtract", "operand": 32},
    }
    scale = {
        "id": "scale",
        "node_type": "CalculatorNode",
        "params": {"operation": "multiply", "operand": 5 / 9},
    }
    stats = RunningStats(name="stats")
    fahrenheit = [50.0, 68.0, 86.0, 104.0]
    outputs = await execute_pipeline_with_input(
        [celsius, scale, stats], fahrenheit, transport=transport
    )
    print(f"transport: {transport}")
    print("manifest(F - 32) -> manifest(x 5/9) -> instance RunningStats")
    for f, out in zip(fahrenheit, outputs):
        print(f"{f:5.1f} F -> {out['x']:5.1f} C   running mean {out['mean']:5.1f} C")
    # inproc ran the caller's object itself; ipc/iceoryx ran a pickled copy in a worker
    print(f"the caller's RunningStats afterwards: n={stats.count}, ran in: {stats.ran_in}")


if __name__ == "__main__":
    asyncio.run(main())
