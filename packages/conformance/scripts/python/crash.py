"""Conformance (Python API): a node killing the process it runs in; on an isolating transport, a clear exception."""

import asyncio
import json
import os

from remotemedia import Node, execute_pipeline_with_input
from remotemedia.errors import TransportError


class Dies(Node):
    def process(self, x):
        os._exit(9)


async def main():
    try:
        await execute_pipeline_with_input([Dies(name="dies")], [1, 2])
        report = {"raised": None}
    except TransportError as exc:
        report = {"raised": type(exc).__name__, "transport_error": True, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the report names whatever arrived
        report = {"raised": type(exc).__name__, "transport_error": False, "message": str(exc)}
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
