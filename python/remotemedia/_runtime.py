"""Where the Python-facing API runs pipelines: the TypeScript runtime this interpreter is embedded in, else a runtime child process."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

__all__ = ["embedded", "execute"]

#: The JS function (served by @remotemedia/python-bridge's PythonApi) that runs a pipeline.
EXECUTE = "remotemedia.execute"


def embedded() -> bool:
    """True when this interpreter runs inside the TypeScript runtime (the python-bridge)."""
    return "_remotemedia_js" in sys.modules


async def execute(pipeline: Any, inputs: list[Any], *, transport: str | None) -> list[Any]:
    """Runs ``pipeline`` (validated by :mod:`remotemedia.api`) on ``inputs``; all outputs, in order.

    Embedded, the executor of the runtime around this interpreter runs it and the nodes are the
    caller's own objects (on ``inproc``). Standalone, a runtime child process runs it and the
    caller's instances are served to it from this process (:mod:`remotemedia._standalone`).
    """
    js = sys.modules.get("_remotemedia_js")
    if js is None:
        from remotemedia._standalone import standalone_runtime

        return await standalone_runtime().execute(pipeline, inputs, transport)
    request = {"pipeline": pipeline, "inputs": list(inputs), "transport": transport}
    if js.on_lane():
        # A bridge thread (a sync node running a loop of its own): awaiting would block the
        # thread the run may need; waiting in `call` serves its queue meanwhile.
        return list(js.call(EXECUTE, request))
    future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
    js.call_async(EXECUTE, request, future)
    return list(await future)
