"""Run the result of a lifecycle call to completion, whether it is a plain value or an awaitable."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

_T = TypeVar("_T")


async def _await(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


def resolve(result: Any) -> Any:
    """Return ``result``, or, when it is awaitable, the value it resolves to.

    With no event loop running in this thread the awaitable runs under
    ``asyncio.run``. When a loop is running (the caller is itself async code)
    it cannot be re-entered, so the awaitable runs on a fresh loop in a helper
    thread while this thread waits.
    """
    if not inspect.isawaitable(result):
        return result
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(result))
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(_await(result))
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="remotemedia-lifecycle")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
