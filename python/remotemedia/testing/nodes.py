"""The fixture node classes of :mod:`remotemedia.testing`.

Every class here is picklable (module level, no runtime state in its pickled
form), so the same fixtures serve the in-process transport (where the caller's
object runs and can be inspected afterwards) and the subprocess transports
(where the object travels pickled and only outputs, or a lifecycle log file,
can be observed).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np

from ..data import Audio, VideoFrame
from ..node import Node
from ..nodes import CalculatorNode, PassThroughNode
from ..pipeline import Pipeline
from ..registry import register_node

__all__ = [
    "DuckNode",
    "FixtureAccumulator",
    "FixtureAsyncExpand",
    "FixtureAsyncLifecycle",
    "FixtureAsyncRangeSource",
    "FixtureAsyncScale",
    "FixtureCounter",
    "FixtureEcho",
    "FixtureExpand",
    "FixtureFailAt",
    "FixtureFailCleanup",
    "FixtureFailInitialize",
    "FixtureKeepEven",
    "FixtureLifecycle",
    "FixtureMakeOpaque",
    "FixtureModel",
    "FixtureRangeSource",
    "FixtureScale",
    "FixtureTypeOf",
    "FixtureUseOpaque",
    "NotANode",
    "OpaqueThing",
    "fail_deep_inside",
    "make_calculator_pipeline",
    "make_custom_pipeline",
]


# ---------------------------------------------------------------------------
# LIFECYCLE
#
# Counters on the object show what happened to the caller's own instance; the
# optional log file (one "<name> <event>" line per event, appended and closed
# each time) shows it from any process, for manifest nodes and pickled copies.
# ---------------------------------------------------------------------------


@register_node
class FixtureLifecycle(Node):
    """Passes items through and counts ``initialize``/``process``/``cleanup`` calls.

    ``initialized`` and ``cleaned_up`` count the bodies that ran (``Node``
    makes a second ``initialize()`` a no-op); ``events`` lists them in order.
    With ``log_path``, each event is also appended to that file.
    """

    def __init__(self, *, log_path: str | None = None, name: str | None = None) -> None:
        super().__init__(name=name, log_path=log_path)
        self.log_path = log_path
        self.initialized = 0
        self.cleaned_up = 0
        self.processed = 0
        self.events: list[str] = []

    def record(self, event: str) -> None:
        """Note ``event`` on the object and, with ``log_path``, in the log file."""
        self.events.append(event)
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"{self.name} {event} pid={os.getpid()}\n")

    def initialize(self) -> None:
        self.initialized += 1
        self.record("initialize")

    def process(self, data: Any) -> Any:
        self.processed += 1
        self.record("process")
        return data

    def cleanup(self) -> None:
        self.cleaned_up += 1
        self.record("cleanup")


@register_node
class FixtureAsyncLifecycle(FixtureLifecycle):
    """:class:`FixtureLifecycle` whose three methods are coroutines."""

    async def initialize(self) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.initialized += 1
        self.record("initialize")

    async def process(self, data: Any) -> Any:
        await asyncio.sleep(0)
        self.processed += 1
        self.record("process")
        return data

    async def cleanup(self) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.cleaned_up += 1
        self.record("cleanup")


def fail_deep_inside(index: int, value: Any) -> Any:
    """Raises ``ValueError``; :class:`FixtureFailAt` calls it so tracebacks show a nested frame."""
    raise ValueError(f"fixture failure at item {index} (input {value!r})")


@register_node
class FixtureFailAt(FixtureLifecycle):
    """Passes items through, but raises ``ValueError`` (from :func:`fail_deep_inside`) on the
    item at index ``fail_at`` (counted from 0)."""

    def __init__(
        self, *, fail_at: int = 0, log_path: str | None = None, name: str | None = None
    ) -> None:
        super().__init__(log_path=log_path, name=name)
        self.config["fail_at"] = fail_at
        self.fail_at = fail_at

    def process(self, data: Any) -> Any:
        index = self.processed
        super().process(data)
        if index == self.fail_at:
            return fail_deep_inside(index, data)
        return data


@register_node
class FixtureFailInitialize(FixtureLifecycle):
    """``initialize()`` raises ``RuntimeError(message)`` after counting the attempt."""

    def __init__(
        self,
        *,
        message: str = "fixture cannot load its model",
        log_path: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(log_path=log_path, name=name)
        self.config["message"] = message
        self.message = message

    def initialize(self) -> None:
        super().initialize()
        raise RuntimeError(self.message)


@register_node
class FixtureFailCleanup(FixtureLifecycle):
    """``cleanup()`` of an initialized node raises ``RuntimeError`` after counting the call
    (cleaning up a fresh node, as pickling does, succeeds)."""

    def cleanup(self) -> None:
        initialized = self.is_initialized  # the base class's cleanup() resets it
        super().cleanup()
        if initialized:
            raise RuntimeError(f"fixture {self.name!r} cannot release its resources")


# ---------------------------------------------------------------------------
# STATE
# ---------------------------------------------------------------------------


@register_node
class FixtureCounter(Node):
    """Counts calls and remembers the last input; each output is ``{"call": n, "input": x}``.

    ``bump(n)`` advances the count without processing, to give an instance
    state that its constructor arguments do not describe.
    """

    def __init__(self, *, start: int = 0, name: str | None = None) -> None:
        super().__init__(name=name, start=start)
        self.calls = start
        self.last_input: Any = None

    def bump(self, n: int = 1) -> int:
        """Add ``n`` to the count and return it."""
        self.calls += n
        return self.calls

    def process(self, data: Any) -> dict[str, Any]:
        self.calls += 1
        self.last_input = data
        return {"call": self.calls, "input": data}


@register_node
class FixtureModel(Node):
    """Stands for a node holding a loaded model.

    ``initialize()`` builds a weight table (``table[i] == i * factor``) and
    counts it in ``loads``; ``process(i)`` looks ``i`` up and fails when the
    table was never loaded. The table is runtime state: it is not pickled, so a
    copy in another process loads its own.
    """

    _runtime_attrs = ("table",)

    def __init__(self, *, factor: int = 2, size: int = 1024, name: str | None = None) -> None:
        super().__init__(name=name, factor=factor, size=size)
        self.factor = factor
        self.size = size
        self.loads = 0
        self.table: list[int] | None = None

    def initialize(self) -> None:
        self.table = [i * self.factor for i in range(self.size)]
        self.loads += 1

    def process(self, data: Any) -> int:
        if self.table is None:
            raise RuntimeError(f"model {self.name!r} is not loaded: initialize() did not run")
        weight: int = self.table[data]
        return weight

    def cleanup(self) -> None:
        self.table = None


@register_node
class FixtureAccumulator(Node):
    """Running sum: each output is the total of every input so far."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.total: Any = 0
        self.items = 0

    def process(self, data: Any) -> Any:
        self.total += data
        self.items += 1
        return self.total


# ---------------------------------------------------------------------------
# RETURN SHAPES: sync, async, 0..N, generators
# ---------------------------------------------------------------------------


@register_node
class FixtureScale(Node):
    """``x * factor``."""

    def __init__(self, *, factor: Any = 2, name: str | None = None) -> None:
        super().__init__(name=name, factor=factor)
        self.factor = factor

    def process(self, data: Any) -> Any:
        return data * self.factor


@register_node
class FixtureAsyncScale(FixtureScale):
    """``x * factor``, from a coroutine."""

    async def process(self, data: Any) -> Any:
        await asyncio.sleep(0)
        return data * self.factor


@register_node
class FixtureKeepEven(Node):
    """Returns even numbers and ``None`` (no output) for odd ones."""

    def process(self, data: Any) -> Any:
        return data if data % 2 == 0 else None


@register_node
class FixtureExpand(Node):
    """Generator: input ``n`` yields ``n * 10 + i`` for ``i`` in ``range(n)`` (0 gives nothing)."""

    def process(self, data: Any) -> Iterator[int]:
        for i in range(data):
            yield data * 10 + i


@register_node
class FixtureAsyncExpand(Node):
    """:class:`FixtureExpand` as an async generator."""

    async def process(self, data: Any) -> AsyncIterator[int]:
        for i in range(data):
            await asyncio.sleep(0)
            yield data * 10 + i


# ---------------------------------------------------------------------------
# SOURCES
# ---------------------------------------------------------------------------


@register_node
class FixtureRangeSource(FixtureLifecycle):
    """Source: yields ``start .. start + count - 1``; with ``fail_at``, raises (from
    :func:`fail_deep_inside`) instead of yielding the item at that index.

    ``finished`` is set when the generator ran to its end, ``closed`` when it
    was stopped early (both logged as events).
    """

    is_source = True

    def __init__(
        self,
        *,
        count: int = 3,
        start: int = 0,
        fail_at: int | None = None,
        log_path: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(log_path=log_path, name=name)
        self.config.update(count=count, start=start, fail_at=fail_at)
        self.count = count
        self.start = start
        self.fail_at = fail_at
        self.yielded = 0
        self.finished = False
        self.closed = False

    def _next(self, i: int) -> int:
        if self.yielded == self.fail_at:
            fail_deep_inside(self.yielded, i)
        self.yielded += 1
        return i

    def process(self) -> Iterator[int]:  # type: ignore[override]
        try:
            for i in range(self.start, self.start + self.count):
                yield self._next(i)
            self.finished = True
            self.record("finished")
        except GeneratorExit:
            self.closed = True
            self.record("closed")
            raise


@register_node
class FixtureAsyncRangeSource(FixtureRangeSource):
    """:class:`FixtureRangeSource` as an async generator, sleeping ``delay`` seconds before each item."""

    def __init__(
        self,
        *,
        count: int = 3,
        start: int = 0,
        delay: float = 0.0,
        fail_at: int | None = None,
        log_path: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(count=count, start=start, fail_at=fail_at, log_path=log_path, name=name)
        self.config["delay"] = delay
        self.delay = delay

    async def process(self) -> AsyncIterator[int]:  # type: ignore[override]
        try:
            for i in range(self.start, self.start + self.count):
                await asyncio.sleep(self.delay)
                yield self._next(i)
            self.finished = True
            self.record("finished")
        except GeneratorExit:
            self.closed = True
            self.record("closed")
            raise


# ---------------------------------------------------------------------------
# DATA
# ---------------------------------------------------------------------------


@register_node
class FixtureEcho(Node):
    """Returns each input unchanged (the very object)."""

    def process(self, data: Any) -> Any:
        return data


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray[{value.dtype}]{tuple(value.shape)}"
    if isinstance(value, Audio):
        return f"Audio({value.sample_rate}Hz, {value.channels}ch, {value.frames} frames)"
    if isinstance(value, VideoFrame):
        return f"VideoFrame({value.width}x{value.height} {value.format})"
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


@register_node
class FixtureTypeOf(Node):
    """Describes the Python type each input arrived as: ``int``, ``dict``,
    ``ndarray[float32](2, 3)``, ``Audio(16000Hz, 1ch, 4 frames)``, ``VideoFrame(2x2 rgb24)``..."""

    def process(self, data: Any) -> str:
        return _describe(data)


class OpaqueThing:
    """A Python-only object (no TypeScript equivalent). ``seen_by`` lists the nodes that used it."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.seen_by: list[str] = []

    def __repr__(self) -> str:
        return f"OpaqueThing({self.value!r}, seen_by={self.seen_by!r})"


@register_node
class FixtureMakeOpaque(Node):
    """Wraps each input in a new :class:`OpaqueThing` and keeps it in ``made``."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.made: list[OpaqueThing] = []

    def process(self, data: Any) -> OpaqueThing:
        thing = OpaqueThing(data)
        self.made.append(thing)
        return thing


@register_node
class FixtureUseOpaque(Node):
    """Takes an :class:`OpaqueThing`, adds its own name to ``seen_by`` and returns
    ``{"value": thing.value, "id": id(thing)}``."""

    def process(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, OpaqueThing):
            raise TypeError(
                f"FixtureUseOpaque {self.name!r} expects an OpaqueThing, got {_describe(data)}"
            )
        data.seen_by.append(self.name)
        return {"value": data.value, "id": id(data)}


# ---------------------------------------------------------------------------
# NOT QUITE NODES (FR-010) AND PIPELINE OBJECTS (FR-009)
# ---------------------------------------------------------------------------


class DuckNode:
    """Not a :class:`~remotemedia.Node`, but has ``initialize`` and ``process``: accepted."""

    def __init__(self, name: str = "duck") -> None:
        self.name = name
        self.initialized = 0

    def initialize(self) -> None:
        self.initialized += 1

    def process(self, data: Any) -> Any:
        return f"quack:{data}"


class NotANode:
    """Has ``initialize`` (and a non-callable ``process``) but cannot process: rejected."""

    process = "not callable"

    def __init__(self, name: str = "not-a-node") -> None:
        self.name = name

    def initialize(self) -> None:
        return None


def make_custom_pipeline(*, factor: int = 3, name: str = "custom-pipeline") -> Pipeline:
    """A ``Pipeline`` of two node classes defined inside this function.

    Local classes are in no registry and cannot be imported by name, so
    running the pipeline proves its objects were used (or pickled by value),
    not rebuilt from a manifest. ``[1, 2]`` becomes ``["label:3", "label:6"]``
    with the default factor.
    """

    class Multiply(Node):
        def __init__(self, factor: int, name: str | None = None) -> None:
            super().__init__(name=name, factor=factor)
            self.factor = factor

        def process(self, data: Any) -> Any:
            return data * self.factor

    class Label(Node):
        def process(self, data: Any) -> str:
            return f"{self.name}:{data}"

    return Pipeline([Multiply(factor, name="multiply"), Label(name="label")], name=name)


def make_calculator_pipeline(*, operand: float = 2, name: str = "calc-pipeline") -> Pipeline:
    """The upstream example: ``PassThroughNode`` then ``CalculatorNode`` multiplying by
    ``operand``, as a ``Pipeline`` object (its ``serialize()`` is an upstream manifest)."""
    return Pipeline(
        [
            PassThroughNode(name="pass"),
            CalculatorNode(name="calc", operation="multiply", operand=operand),
        ],
        name=name,
    )
