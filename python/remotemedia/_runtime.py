"""Where the Python-facing API runs pipelines: the TypeScript runtime this interpreter is embedded in, else a runtime child process."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from typing import Any

__all__ = ["Outputs", "embedded", "execute"]

#: The JS functions (served by @remotemedia/python-bridge's PythonApi) that run and cancel a pipeline.
EXECUTE = "remotemedia.execute"
CANCEL = "remotemedia.cancel"

_tokens = itertools.count()

#: A run's outputs: a list, or each sink's list by node id for a graph with several sinks.
Outputs = list[Any] | dict[str, list[Any]]


def _outputs(result: Any) -> Outputs:
    return (
        {str(k): list(v) for k, v in result.items()} if isinstance(result, dict) else list(result)
    )


def embedded() -> bool:
    """True when this interpreter runs inside the TypeScript runtime (the python-bridge)."""
    return "_remotemedia_js" in sys.modules


async def execute(pipeline: Any, inputs: list[Any] | None, *, transport: str | None) -> Outputs:
    """Runs ``pipeline`` (validated by :mod:`remotemedia.api`) on ``inputs``; all outputs, in order
    (by sink node id when a graph has several sinks).

    ``inputs`` None runs it once without input, as the executor's ``executePipeline`` does: a
    source node produces the items, else the first node receives ``""``.

    Embedded, the executor of the runtime around this interpreter runs it and the nodes are the
    caller's own objects (on ``inproc``). Standalone, a runtime child process runs it and the
    caller's instances are served to it from this process (:mod:`remotemedia._standalone`).
    """
    js = sys.modules.get("_remotemedia_js")
    if js is None:
        from remotemedia._standalone import standalone_runtime

        return await standalone_runtime().execute(pipeline, inputs, transport)
    token = f"{os.getpid()}-{next(_tokens)}"
    items = None if inputs is None else list(inputs)
    request = {"pipeline": pipeline, "inputs": items, "transport": transport, "run": token}
    if js.on_lane():
        # A bridge thread (a sync node running a loop of its own): awaiting would block the
        # thread the run may need; waiting in `call` serves its queue meanwhile.
        return _outputs(js.call(EXECUTE, request))
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    js.call_async(EXECUTE, request, future)
    try:
        return _outputs(await future)
    except asyncio.CancelledError:
        # The caller stopped waiting (a timeout, a cancelled task): the run stops and cleans up too.
        acknowledged: asyncio.Future[None] = loop.create_future()
        acknowledged.add_done_callback(lambda f: f.cancelled() or f.exception())
        js.call_async(CANCEL, token, acknowledged)
        raise
