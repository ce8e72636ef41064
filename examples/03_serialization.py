"""Serialization for multiprocess transports: what cleanup() and initialize() do, and an unpicklable attribute.

Shows: serialize_node_for_ipc() (what ipc/iceoryx do to an instance) calls cleanup(), which closes
the node's SQLite connection, then pickles it; deserialize_node_from_ipc() + initialize() opens a
new one. Then a run on the chosen transport, whose outputs carry the node's lifecycle log (the
worker's initialize()), and EagerWordTally, which opens its connection in __init__: pickling it
fails with a SerializationError naming the attribute.

Run: `npx remotemedia run examples/03_serialization.py -- ipc` (or iceoryx; on inproc nothing is pickled).
"""

from __future__ import annotations

import asyncio

from remotemedia import (
    JsError,
    SerializationError,
    deserialize_node_from_ipc,
    execute_pipeline_with_input,
    serialize_node_for_ipc,
)

from example_nodes import EagerWordTally, WordTally, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    print(f"transport: {transport}")

    tally = WordTally(name="tally")
    tally.initialize()
    print(f"before: initialized={tally.is_initialized}, db open={tally.db is not None}")
    data = serialize_node_for_ipc(tally)
    print(
        f"serialize_node_for_ipc: {len(data)} bytes; cleanup() ran: db open={tally.db is not None}"
    )
    bare = deserialize_node_from_ipc(data, initialize=False)
    print(f"unpickled copy: initialized={bare.is_initialized}, db open={bare.db is not None}")
    copy = deserialize_node_from_ipc(data)  # what a worker does: unpickle, then initialize()
    print(f"deserialize_node_from_ipc: db open={copy.db is not None}; log {copy.lifecycle}")

    lines = ["the cat sat", "the dog sat", "a cat ran"]
    outputs = await execute_pipeline_with_input(
        [WordTally(name="tally")], lines, transport=transport
    )
    for out in outputs:
        print(f"{out['line']!r:14} top words {out['top']}")
    print(f"lifecycle seen by the last item: {outputs[-1]['lifecycle']}")

    try:
        serialize_node_for_ipc(EagerWordTally(name="eager"))
    except SerializationError as error:
        print(f"EagerWordTally: {type(error).__name__}: {error}")
    try:
        await execute_pipeline_with_input(
            [EagerWordTally(name="eager")], lines, transport=transport
        )
    except (SerializationError, JsError) as error:  # shipping it failed: before any item ran
        print(f"running it on {transport}: {type(error).__name__}: {error}")


if __name__ == "__main__":
    asyncio.run(main())
