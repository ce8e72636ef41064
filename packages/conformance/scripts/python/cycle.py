"""Conformance (Python API): input data that refers back to itself is refused, naming the cycle."""

import asyncio
import json

from remotemedia import Node, execute_pipeline_with_input


class Identity(Node):
    def process(self, x):
        return x


async def main():
    item = {"samples": [1, 2]}
    item["samples"].append(item)
    try:
        await execute_pipeline_with_input([Identity(name="identity")], [item])
        report = None
    except Exception as exc:  # noqa: BLE001 - the report names whatever arrived
        report = {"type": type(exc).__name__, "message": str(exc)}
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
