"""Conformance (Python API): a caller that stops waiting (a timeout) stops the run; its node is cleaned up."""

import asyncio
import json
import os
import sys
import time

from remotemedia import Node, execute_pipeline_with_input

LOG = sys.argv[1]


class Slow(Node):
    def process(self, x):
        time.sleep(0.1)
        return x

    def cleanup(self):
        with open(LOG, "a") as f:
            f.write(f"cleanup {os.getpid()}\n")


async def main():
    started = time.monotonic()
    try:
        await asyncio.wait_for(execute_pipeline_with_input([Slow(name="slow")], list(range(100))), 0.5)
        timed_out = False
    except TimeoutError:
        timed_out = True
    stopped = time.monotonic()
    while not os.path.exists(LOG) and time.monotonic() - stopped < 5:
        await asyncio.sleep(0.02)
    print(json.dumps({
        "timed_out": timed_out,
        "waited_s": round(stopped - started, 2),
        "cleaned_within_s": round(time.monotonic() - stopped, 2) if os.path.exists(LOG) else None,
    }))


if __name__ == "__main__":
    asyncio.run(main())
