"""Conformance (Python API): a caller that stops waiting (its task cancelled mid-run) stops the run; its node is cleaned up."""

import asyncio
import json
import os
import sys
import time

from remotemedia import Node, execute_pipeline_with_input

LOG = sys.argv[1]
STARTED = f"{LOG}.started"


class Slow(Node):
    def process(self, x):
        if x == 0:
            with open(STARTED, "w") as f:
                f.write("processing")
        time.sleep(0.1)
        return x

    def cleanup(self):
        with open(LOG, "a") as f:
            f.write(f"cleanup {os.getpid()}\n")


async def main():
    task = asyncio.ensure_future(execute_pipeline_with_input([Slow(name="slow")], list(range(100))))
    # Cancelled only once the run is underway (its node initialized and processing).
    while not os.path.exists(STARTED) and not task.done():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    task.cancel()
    try:
        await task
        cancelled = False
    except asyncio.CancelledError:
        cancelled = True
    stopped = time.monotonic()
    while not os.path.exists(LOG) and time.monotonic() - stopped < 10:
        await asyncio.sleep(0.02)
    print(json.dumps({
        "cancelled": cancelled,
        "cleaned_within_s": round(time.monotonic() - stopped, 2) if os.path.exists(LOG) else None,
    }))


if __name__ == "__main__":
    asyncio.run(main())
