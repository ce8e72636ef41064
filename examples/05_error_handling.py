"""Error handling: a node's own exception, a worker crash, a bad manifest — each caught by type.

Shows: ZeroDivisionError raised in a node reaches the caller as that exception (with the node's
traceback); a worker process that dies mid-run (os._exit) ends the run with WorkerCrashedError
(ipc/iceoryx: on inproc the node would end this very process, so that part needs a worker);
a manifest naming an unknown node type or missing a field fails before anything runs.

Run: `npx remotemedia run examples/05_error_handling.py -- ipc` (or iceoryx, inproc).
"""

from __future__ import annotations

import asyncio
import traceback

from remotemedia import JsError, RemoteMediaError, WorkerCrashedError, execute_pipeline_with_input

from example_nodes import CrashOn, FailOn, chosen_transport


async def main() -> None:
    transport = chosen_transport()
    print(f"transport: {transport}")

    try:
        await execute_pipeline_with_input(
            [FailOn(name="hundred_over")], [4, 0, 5], transport=transport
        )
    except ZeroDivisionError as error:
        lines = "".join(traceback.format_exception(error)).splitlines()
        frame = [line.strip() for line in lines if line.endswith(", in process")][-1]
        print(f"node exception: ZeroDivisionError: {error}; its frame: {frame}")

    if transport == "inproc":
        print("worker crash: needs a worker process (run on ipc or iceoryx)")
    else:
        try:
            await execute_pipeline_with_input(
                [CrashOn(name="crasher", crash_on=3)], [1, 2, 3, 4], transport=transport
            )
        except WorkerCrashedError as error:
            print(f"worker crash: WorkerCrashedError: {error.js_message.splitlines()[0]}")

    manifests = {
        "unknown node type": {"version": "v1", "nodes": [{"id": "x", "node_type": "NoSuchNode"}]},
        "node without node_type": {"version": "v1", "nodes": [{"id": "x"}]},
    }
    for label, manifest in manifests.items():
        try:
            await execute_pipeline_with_input(manifest, [1], transport=transport)
        except (RemoteMediaError, JsError, ValueError) as error:
            message = str(error).split(" Known types:")[0]  # the list of every type is long
            print(f"bad manifest ({label}): {type(error).__name__}: {message}")


if __name__ == "__main__":
    asyncio.run(main())
