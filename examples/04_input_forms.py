"""Every accepted pipeline input form, each run on the same numbers with the same result.

Shows: a single Node; a list of Nodes; a list mixing Nodes and manifest dicts; a Pipeline object;
Pipeline.run(); a manifest v1 dict; its JSON string (Pipeline.serialize()); and what is rejected
(before anything runs) with the message naming the bad position.

Run: `npx remotemedia run examples/04_input_forms.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remotemedia import Pipeline, execute_pipeline_with_input
from remotemedia.nodes.basic import CalculatorNode

from example_nodes import chosen_transport


def double() -> CalculatorNode:
    return CalculatorNode(name="double", operation="multiply", operand=2)


def plus_one() -> CalculatorNode:
    return CalculatorNode(name="plus_one", operation="add", operand=1)


async def main() -> None:
    transport = chosen_transport()
    items = [1, 2, 3]
    pipeline = Pipeline([double(), plus_one()], name="double-plus-one")
    manifest = pipeline.to_manifest()
    plus_one_dict = {
        "id": "plus_one",
        "node_type": "CalculatorNode",
        "params": {"operation": "add", "operand": 1},
    }
    forms: list[tuple[str, Any]] = [
        ("a single Node (x2 only)", double()),
        ("a list of Nodes", [double(), plus_one()]),
        ("a list of a Node and a manifest dict", [double(), plus_one_dict]),
        ("a Pipeline object", pipeline),
        ("a manifest v1 dict", manifest),
        ("a manifest JSON string", pipeline.serialize()),
    ]
    print(f"transport: {transport}")
    for label, form in forms:
        outputs = await execute_pipeline_with_input(form, items, transport=transport)
        print(f"{label:<38} -> {outputs}")
    print(f"{'Pipeline.run()':<38} -> {await pipeline.run(items, transport=transport)}")
    for label, bad in [
        ("a list with a string in it", [double(), "plus_one"]),
        ("an empty list", []),
    ]:
        try:
            await execute_pipeline_with_input(bad, items, transport=transport)
        except (TypeError, ValueError) as error:
            print(f"{label:<38} -> {type(error).__name__}: {error}")


if __name__ == "__main__":
    asyncio.run(main())
