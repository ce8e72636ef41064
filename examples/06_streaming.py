"""Streaming input and output: a source node producing items over time, a node producing many per input.

Shows: a Ticker source (an async generator: one sentence every 50 ms, no caller input) -> Words
(a generator: one output per word) -> a manifest TextProcessorNode (uppercase); the outputs in
order.

Run: `npx remotemedia run examples/06_streaming.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio

from remotemedia import execute_pipeline

from example_nodes import Ticker, Words, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    upper = {"id": "upper", "node_type": "TextProcessorNode", "params": {"operation": "uppercase"}}
    outputs = await execute_pipeline(
        [Ticker(name="ticker", count=3), Words(name="words"), upper], transport=transport
    )
    print(f"transport: {transport}")
    print(f"3 sentences in, {len(outputs)} words out:")
    print(" ".join(out["processed_text"] for out in outputs))


if __name__ == "__main__":
    asyncio.run(main())
