"""The runtime host: what a TypeScript transport calls to run nodes in this interpreter.

The in-process transport calls these functions on the Python bridge's
dedicated thread; a worker subprocess calls the same ones from its message
loop. They build nodes (manifest nodes through the registry only, serialized
instances through :func:`~remotemedia.deserialize_node_from_ipc`), check
caller-supplied objects (FR-010), run the lifecycle and process items in
batches.

Output rule (shared with the TypeScript executor): for each input item,
``process`` returns one value (one output; a list is one value), ``None`` (no
output), an iterator such as a generator or an async iterator such as an async
generator (any number of outputs), or an awaitable resolving to any of these.

A node's own exceptions never escape :func:`process_batch`,
:func:`next_chunk`, :func:`initialize`, :func:`cleanup` or
:func:`close_source`: they come back as an :class:`ErrorRecord` (type name,
message, formatted traceback without the host's own frames, item index), next
to the outputs produced before the failure. Errors in the host's inputs (an
unknown node type, bad bytes) do raise.

A caller may pass a cancellation flag to :func:`process_batch`,
:func:`process_batch_timed` and :func:`next_chunk`: any object with an
``is_set()`` method, such as :class:`threading.Event` or the bridge's
``CancelToken`` (which the JavaScript side sets without waiting for this
thread). It is checked before each item, so a cancelled call returns after
the item in progress, with the outputs so far and a :class:`Cancelled`
record (see :func:`is_cancelled`); an item's async work is always awaited
to its end first, so nothing is left pending on the loop.

Each call has two forms. The plain one (:func:`process_batch`, ...) returns
the result; async code it meets runs on one event loop owned by the host,
created on first use (asyncio itself is only imported then) and reused by every
call, always driven from the calling thread: a node's ``initialize``,
``process`` and ``cleanup`` all run on the same thread, so thread-bound
resources (sqlite connections, some GPU contexts) keep working. Plain calls
must come from one thread at a time and not from inside a running event loop
(the worker subprocess uses these).

The ``*_deferred`` form (:func:`process_batch_deferred`, ...) does the same
work up to the first thing that needs awaiting and then returns a coroutine
that finishes the call (:data:`Deferred`), instead of driving a loop itself.
The caller runs those coroutines on its own event loop, many at once: the
in-process transport's Python bridge awaits them on its one event-loop thread,
so async nodes of concurrent pipelines overlap while the bridge's Python
threads serve the next calls. There a node's sync code runs on the Python
thread the bridge keeps for that node and its coroutines on the event-loop
thread. Calls of one node
must still come one after the other (the caller awaits each result first).
"""

from __future__ import annotations

import inspect
import traceback
import types
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any, NotRequired, Protocol, TypeAlias, TypedDict, TypeVar, cast

from .data import Audio, VideoFrame
from .node import Node
from .pipeline import Pipeline
from .registry import create_node
from .serialization import deserialize_node_from_ipc

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "BatchResult",
    "CancelFlag",
    "Cancelled",
    "ChunkResult",
    "Deferred",
    "ErrorRecord",
    "NodeInfo",
    "RuntimeHost",
    "SourceCursor",
    "TimedBatchResult",
    "build_node",
    "cleanup",
    "cleanup_deferred",
    "close_source",
    "close_source_deferred",
    "default_host",
    "describe_node",
    "deserialize_instance",
    "error_record",
    "initialize",
    "initialize_deferred",
    "is_cancelled",
    "next_chunk",
    "next_chunk_deferred",
    "process_batch",
    "process_batch_deferred",
    "process_batch_timed",
    "process_batch_timed_deferred",
    "resolve_input",
    "start_source",
    "validate_node",
]


# ---------------------------------------------------------------------------
# ERROR RECORDS
#
# A node's failure crosses to TypeScript (or over the worker protocol) as plain
# data, so the outputs produced before it can travel in the same reply. The
# traceback is formatted here, where the frames still exist, and starts at the
# node's code: the host's own frames are dropped.
# ---------------------------------------------------------------------------


class ErrorRecord(TypedDict):
    """A node's exception as data (the fields the Python bridge gives its ``PythonError``)."""

    type: str
    """The exception class's ``__qualname__``, e.g. ``ValueError``."""
    module: str
    """The module defining the class, e.g. ``builtins``."""
    message: str
    """``str(exception)``."""
    traceback: str
    """The formatted traceback (``Traceback (most recent call last): ...``), causes included."""
    index: int | None
    """Index of the item being processed (among all the node received), or None."""
    exception: NotRequired[BaseException]
    """The exception itself, in records for callers in this process (never encoded)."""


def _type_name(cls: type) -> str:
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", cls.__name__)
    return qualname if module in (None, "builtins") else f"{module}.{qualname}"


def _format_traceback(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _live_record(exc: BaseException, index: int | None = None) -> ErrorRecord:
    """:func:`error_record` plus the exception object itself, for callers in this process."""
    record = error_record(exc, index)
    record["exception"] = exc
    return record


def error_record(exc: BaseException, index: int | None = None) -> ErrorRecord:
    """Describe ``exc`` as an :class:`ErrorRecord`."""
    cls = type(exc)
    return {
        "type": cls.__qualname__,
        "module": cls.__module__,
        "message": str(exc),
        "traceback": _format_traceback(exc),
        "index": index,
    }


# ---------------------------------------------------------------------------
# CANCELLATION
#
# The caller's flag is polled before each item: one bound-method call, no
# lock. A cancelled call is not a failure of the node; its record says
# ``Cancelled`` and names the first item that did not run.
# ---------------------------------------------------------------------------


class CancelFlag(Protocol):
    """What a caller passes to stop a call early (``threading.Event`` fits)."""

    def is_set(self) -> bool:
        """True once the caller gave up on the call."""
        ...


class Cancelled(Exception):
    """The caller cancelled the call; its record's index is the first item not processed."""


def _cancelled(index: int) -> ErrorRecord:
    return {
        "type": Cancelled.__qualname__,
        "module": Cancelled.__module__,
        "message": f"cancelled by the caller before item {index}",
        "traceback": "",
        "index": index,
    }


def is_cancelled(record: ErrorRecord | None) -> bool:
    """True when ``record`` says the call was cancelled (rather than the node failing)."""
    return record is not None and record["type"] == "Cancelled" and record["module"] == __name__


# ---------------------------------------------------------------------------
# COLLECTING OUTPUTS
#
# ``_collect`` appends what one ``process`` call produced and returns None, or,
# when the result must be awaited, a coroutine that finishes the job. Plain
# values of the common types skip every other check: this is the hot path.
# numpy arrays are not among them (this module does not import numpy): they
# take the general path, with the same outcome.
# ---------------------------------------------------------------------------

_SINGLE: frozenset[type] = frozenset(
    {int, float, str, bytes, bool, list, dict, tuple, bytearray, Audio, VideoFrame}
)

_Pending = Coroutine[Any, Any, None]
_T = TypeVar("_T")


def _is_iterator(cls: type) -> bool:
    return hasattr(cls, "__next__") and hasattr(cls, "__iter__")


def _collect(result: Any, append: Callable[[Any], None]) -> _Pending | None:
    if result is None:
        return None
    cls = type(result)
    if cls in _SINGLE:
        append(result)
        return None
    if cls is types.GeneratorType or _is_iterator(cls):
        for value in result:
            append(value)
        return None
    if hasattr(cls, "__anext__"):
        return _drain(result, append)
    if inspect.isawaitable(result):
        return _await_then_collect(result, append)
    append(result)
    return None


async def _drain(iterator: Any, append: Callable[[Any], None]) -> None:
    async for value in iterator:
        append(value)


async def _await_then_collect(awaitable: Awaitable[Any], append: Callable[[Any], None]) -> None:
    pending = _collect(await awaitable, append)
    if pending is not None:
        await pending


async def _capture(awaitable: Awaitable[Any]) -> BaseException | None:
    """Await inside the loop, so a failure's traceback starts at the node's code."""
    try:
        await awaitable
    except Exception as exc:
        return exc
    return None


# ---------------------------------------------------------------------------
# NODES: BUILDING, CHECKING, DESCRIBING
# ---------------------------------------------------------------------------


class NodeInfo(TypedDict):
    """What the TypeScript side needs to know about a node object."""

    node: Any
    """The object itself (crosses to TypeScript as a handle)."""
    name: str
    """Its ``name`` attribute when it is a string, else its class name."""
    class_name: str
    """``module.QualName`` of its class."""
    is_source: bool
    """Whether ``is_source`` is ``True`` (``process()`` takes no input)."""
    problem: str | None
    """Why it cannot run as a node (FR-010), or None."""


def _safe_getattr(obj: Any, attr: str) -> Any:
    try:
        return getattr(obj, attr, None)
    except Exception:  # a property that raises counts as absent
        return None


def _node_name(obj: Any) -> str:
    name = _safe_getattr(obj, "name")
    return name if isinstance(name, str) and name else type(obj).__name__


def validate_node(obj: Any) -> str | None:
    """Return why ``obj`` cannot run as a node, or None when it can (FR-010).

    Accepted: a :class:`~remotemedia.Node` instance that overrides ``process``,
    or any object with callable ``process`` and ``initialize``. The message
    names the object and what it lacks.
    """
    cls = type(obj)
    if isinstance(obj, type):
        return (
            f"{_type_name(obj)} is a class, not a node instance; "
            f"create one first, e.g. {obj.__name__}()"
        )
    if isinstance(obj, Node):
        if cls.process is Node.process:
            return f"node {obj.name!r} ({_type_name(cls)}) does not override process()"
        return None
    missing = [m for m in ("process", "initialize") if not callable(_safe_getattr(obj, m))]
    if not missing:
        return None
    methods = " or ".join(f"{m}()" for m in missing)
    name = _safe_getattr(obj, "name")
    if isinstance(name, str) and name:
        return f"node {name!r} ({_type_name(cls)}) has no callable {methods} method"
    return f"Python object of type {_type_name(cls)} is not a node: it has no callable {methods} method"


def describe_node(obj: Any) -> NodeInfo:
    """Name, class, source flag and validation problem of ``obj``."""
    return {
        "node": obj,
        "name": _node_name(obj),
        "class_name": _type_name(type(obj)),
        "is_source": _safe_getattr(obj, "is_source") is True,
        "problem": validate_node(obj),
    }


def resolve_input(obj: Any) -> dict[str, Any]:
    """Classify a caller-supplied Python object for pipeline auto-detection.

    A :class:`~remotemedia.Pipeline` gives ``{"kind": "pipeline", "name",
    "nodes": [NodeInfo, ...]}`` (FR-009); anything else gives ``{"kind":
    "node", **NodeInfo}``, whose ``problem`` says whether it can run.
    """
    if isinstance(obj, Pipeline):
        return {
            "kind": "pipeline",
            "name": obj.name,
            "nodes": [describe_node(node) for node in obj.nodes],
        }
    return {"kind": "node", **describe_node(obj)}


def build_node(node_type: str, params: Mapping[str, Any] | None, node_id: str) -> Node:
    """Create a manifest node through the registry (registered types and allowed modules only)."""
    return create_node(node_type, params, node_id)


def deserialize_instance(data: bytes | bytearray | memoryview) -> Node:
    """Unpickle a serialized instance; :func:`initialize` then runs its ``initialize()`` on the host's loop."""
    return deserialize_node_from_ipc(data, initialize=False)


# ---------------------------------------------------------------------------
# SOURCES
# ---------------------------------------------------------------------------


class SourceCursor:
    """Where a source node's iteration stands, between :func:`next_chunk` calls."""

    __slots__ = ("asynchronous", "done", "node", "produced", "started", "sync")

    def __init__(self, node: Any) -> None:
        self.node = node
        self.started = False
        self.sync: Any = None
        self.asynchronous: Any = None
        self.done = False
        self.produced = 0

    def __repr__(self) -> str:
        state = "done" if self.done else "running" if self.started else "new"
        return f"SourceCursor({_node_name(self.node)!r}, {state}, produced={self.produced})"


BatchResult = tuple[list[Any], ErrorRecord | None]
"""Outputs in order, and the failure that stopped the batch (outputs before it are kept)."""

SOURCE_CHUNK_ITEMS = 64
"""Most items a source hands over per call, unless the caller says otherwise (TypeScript's
``Transport.SourceChunkDefaults`` holds the same figures)."""

SOURCE_CHUNK_WAIT = 0.005
"""Seconds after which a source call returns early once it has items."""

ChunkResult = tuple[list[Any], bool, ErrorRecord | None]
"""Items, whether the source is exhausted, and the failure that ended it."""

TimedBatchResult = tuple[list[Any], ErrorRecord | None, list[float]]
"""A :data:`BatchResult` and each processed item's time in milliseconds."""

Deferred: TypeAlias = _T | Coroutine[Any, Any, _T]
"""What the ``*_deferred`` functions return: the result itself when nothing needed awaiting,
else a coroutine resolving to it, for the caller to run on its own event loop. Coroutines of
any number of calls may run there at once (calls of one node must still come one after the
other); nothing in them blocks the loop longer than the node's own code does."""


# ---------------------------------------------------------------------------
# THE HOST
# ---------------------------------------------------------------------------


class RuntimeHost:
    """Runs node lifecycles and batches, with one persistent event loop for async code."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- event loop ---------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        loop = self._loop
        if loop is None or loop.is_closed():
            import asyncio

            loop = self._loop = asyncio.new_event_loop()
        return loop.run_until_complete(coroutine)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The host's event loop, once async code has needed it."""
        return self._loop

    def close(self) -> None:
        """Cancel leftover tasks, finish async generators and close the loop (a new one is
        made if the host is used again)."""
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        import asyncio

        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def _resolve(self, result: Deferred[_T]) -> _T:
        """A deferred result, run to its end on the host's loop when it is a coroutine."""
        if isinstance(result, types.CoroutineType):
            return cast("_T", self._run(result))
        return cast("_T", result)

    def _call(self, fn: Callable[[], Any]) -> Deferred[ErrorRecord | None]:
        """Call a lifecycle method; failures become records, an awaitable result a coroutine."""
        try:
            result = fn()
        except Exception as exc:
            return _live_record(exc)
        if inspect.isawaitable(result):
            return _record_failure(result)
        return None

    # -- lifecycle ----------------------------------------------------------

    def initialize(self, node: Any) -> ErrorRecord | None:
        """Call ``node.initialize()`` (sync or async)."""
        return self._resolve(self.initialize_deferred(node))

    def initialize_deferred(self, node: Any) -> Deferred[ErrorRecord | None]:
        """:meth:`initialize`, or a coroutine resolving to its result when ``initialize()``
        is async (see :data:`Deferred`)."""
        return self._call(node.initialize)

    def cleanup(self, node: Any) -> ErrorRecord | None:
        """Call ``node.cleanup()`` (sync or async) when the node has one."""
        return self._resolve(self.cleanup_deferred(node))

    def cleanup_deferred(self, node: Any) -> Deferred[ErrorRecord | None]:
        """:meth:`cleanup`, or a coroutine resolving to its result (see :data:`Deferred`)."""
        method = _safe_getattr(node, "cleanup")
        return None if not callable(method) else self._call(method)

    # -- processing ---------------------------------------------------------

    def process_batch(
        self,
        node: Any,
        items: Sequence[Any],
        first_index: int = 0,
        cancel: CancelFlag | None = None,
    ) -> BatchResult:
        """Run ``node.process`` on each item in order; return the outputs and the failure, if any.

        ``first_index`` is the index of ``items[0]`` among all items the node
        received; a failure's record carries the failing item's index. Once
        ``cancel`` is set, the batch stops before its next item with a
        :class:`Cancelled` record.
        """
        return self._resolve(self.process_batch_deferred(node, items, first_index, cancel))

    def process_batch_deferred(
        self,
        node: Any,
        items: Sequence[Any],
        first_index: int = 0,
        cancel: CancelFlag | None = None,
    ) -> Deferred[BatchResult]:
        """:meth:`process_batch`, or, from the first item whose result needs awaiting on, a
        coroutine that finishes the batch (see :data:`Deferred`)."""
        process = node.process
        is_set = None if cancel is None else cancel.is_set
        out: list[Any] = []
        append = out.append
        index = 0
        try:
            for index, item in enumerate(items):
                if is_set is not None and is_set():
                    return out, _cancelled(first_index + index)
                result = process(item)
                if result is None:
                    continue
                if type(result) in _SINGLE:
                    append(result)
                    continue
                pending = _collect(result, append)
                if pending is not None:
                    return self._finish(process, items, index, pending, out, first_index, is_set)
        except Exception as exc:
            return out, _live_record(exc, first_index + index)
        return out, None

    async def _finish(
        self,
        process: Callable[[Any], Any],
        items: Sequence[Any],
        start: int,
        pending: _Pending,
        out: list[Any],
        first_index: int,
        is_set: Callable[[], bool] | None,
    ) -> BatchResult:
        """The rest of a batch once one item needed awaiting, all inside one coroutine.

        The item in progress is awaited to its end before the cancellation
        check, so a cancelled batch leaves no coroutine behind.
        """
        append = out.append
        index = start
        try:
            await pending
            for index in range(start + 1, len(items)):
                if is_set is not None and is_set():
                    return out, _cancelled(first_index + index)
                more = _collect(process(items[index]), append)
                if more is not None:
                    await more
        except Exception as exc:
            return out, _live_record(exc, first_index + index)
        return out, None

    def process_batch_timed(
        self,
        node: Any,
        items: Sequence[Any],
        first_index: int = 0,
        cancel: CancelFlag | None = None,
    ) -> TimedBatchResult:
        """:meth:`process_batch` item by item, also returning each processed item's time in
        milliseconds."""
        return self._resolve(self.process_batch_timed_deferred(node, items, first_index, cancel))

    def process_batch_timed_deferred(
        self,
        node: Any,
        items: Sequence[Any],
        first_index: int = 0,
        cancel: CancelFlag | None = None,
    ) -> Deferred[TimedBatchResult]:
        """:meth:`process_batch_timed`, or, from the first item that needs awaiting on, a
        coroutine that finishes it (see :data:`Deferred`); an item's time includes its awaiting."""
        is_set = None if cancel is None else cancel.is_set
        out: list[Any] = []
        times: list[float] = []
        for offset, item in enumerate(items):
            if is_set is not None and is_set():
                return out, _cancelled(first_index + offset), times
            t0 = perf_counter()
            result = self.process_batch_deferred(node, (item,), first_index + offset)
            if isinstance(result, types.CoroutineType):
                return self._timed_rest(
                    node, items, offset, t0, result, out, times, first_index, is_set
                )
            outputs, error = cast("BatchResult", result)
            times.append((perf_counter() - t0) * 1000.0)
            out.extend(outputs)
            if error is not None:
                return out, error, times
        return out, None, times

    async def _timed_rest(
        self,
        node: Any,
        items: Sequence[Any],
        offset: int,
        t0: float,
        pending: Coroutine[Any, Any, BatchResult],
        out: list[Any],
        times: list[float],
        first_index: int,
        is_set: Callable[[], bool] | None,
    ) -> TimedBatchResult:
        """The rest of a timed batch from the item at ``offset``, whose result is ``pending``."""
        outputs, error = await pending
        while True:
            times.append((perf_counter() - t0) * 1000.0)
            out.extend(outputs)
            if error is not None:
                return out, error, times
            offset += 1
            if offset >= len(items):
                return out, None, times
            if is_set is not None and is_set():
                return out, _cancelled(first_index + offset), times
            t0 = perf_counter()
            result = self.process_batch_deferred(node, (items[offset],), first_index + offset)
            if isinstance(result, types.CoroutineType):
                outputs, error = await result
            else:
                outputs, error = cast("BatchResult", result)

    # -- sources ------------------------------------------------------------

    def start_source(self, node: Any) -> SourceCursor:
        """A cursor over a source node's items; ``process()`` is first called by :meth:`next_chunk`."""
        return SourceCursor(node)

    def next_chunk(
        self,
        cursor: SourceCursor,
        max_items: int = SOURCE_CHUNK_ITEMS,
        max_wait: float = SOURCE_CHUNK_WAIT,
        cancel: CancelFlag | None = None,
    ) -> ChunkResult:
        """Pull up to ``max_items`` items from a source.

        Stops early once ``max_wait`` seconds have passed since the call began
        (checked after each item), so a slow live source hands over each item
        as it comes while a fast one fills whole chunks. Once ``cancel`` is
        set, it stops before pulling the next item with a :class:`Cancelled`
        record; the source stays open (:meth:`close_source` closes it).
        """
        return self._resolve(self.next_chunk_deferred(cursor, max_items, max_wait, cancel))

    def next_chunk_deferred(
        self,
        cursor: SourceCursor,
        max_items: int = SOURCE_CHUNK_ITEMS,
        max_wait: float = SOURCE_CHUNK_WAIT,
        cancel: CancelFlag | None = None,
    ) -> Deferred[ChunkResult]:
        """:meth:`next_chunk`, or a coroutine resolving to its result when the source is async
        (an async generator, or a ``process()`` to await) (see :data:`Deferred`)."""
        items: list[Any] = []
        if cursor.done:
            return items, True, None
        is_set = None if cancel is None else cancel.is_set
        if is_set is not None and is_set():
            return items, False, _cancelled(cursor.produced)
        deadline = perf_counter() + max_wait
        limit = max(1, max_items)
        try:
            if not cursor.started:
                cursor.started = True
                result = cursor.node.process()
                if _needs_await(result):
                    return self._chunk_async(cursor, items, limit, deadline, is_set, result)
                _sort(cursor, result, items)
            if cursor.asynchronous is not None:
                return self._chunk_async(cursor, items, limit, deadline, is_set, None)
            stopped = _pull_sync(cursor, items, limit, deadline, is_set)
        except Exception as exc:
            return _chunk_failed(cursor, items, exc)
        return _chunk_done(cursor, items, stopped)

    async def _chunk_async(
        self,
        cursor: SourceCursor,
        items: list[Any],
        limit: int,
        deadline: float,
        is_set: Callable[[], bool] | None,
        started: Any,
    ) -> ChunkResult:
        """A chunk that needs awaiting: ``started`` is what a first ``process()`` returned
        when it must be awaited (else None), then items of an async source."""
        try:
            if started is not None:
                while _needs_await(started):
                    started = await started
                _sort(cursor, started, items)
            if cursor.asynchronous is None:
                stopped = _pull_sync(cursor, items, limit, deadline, is_set)
            else:
                stopped = await _pull(cursor, items, limit, deadline, is_set)
        except Exception as exc:
            return _chunk_failed(cursor, items, exc)
        return _chunk_done(cursor, items, stopped)

    def close_source(self, cursor: SourceCursor) -> ErrorRecord | None:
        """Stop a source early: close its generator so its ``finally`` blocks run."""
        return self._resolve(self.close_source_deferred(cursor))

    def close_source_deferred(self, cursor: SourceCursor) -> Deferred[ErrorRecord | None]:
        """:meth:`close_source`, or a coroutine resolving to its result when an async
        generator is closed (see :data:`Deferred`)."""
        cursor.done = True
        sync, asynchronous = cursor.sync, cursor.asynchronous
        cursor.sync = cursor.asynchronous = None
        if sync is not None:
            close = _safe_getattr(sync, "close")
            return self._call(close) if callable(close) else None
        if asynchronous is not None:
            aclose = _safe_getattr(asynchronous, "aclose")
            return self._call(aclose) if callable(aclose) else None
        return None


def _needs_await(result: Any) -> bool:
    """An awaitable that is not itself an async iterator (a source's ``process()`` may
    return either)."""
    return inspect.isawaitable(result) and not hasattr(type(result), "__anext__")


def _sort(cursor: SourceCursor, result: Any, items: list[Any]) -> None:
    """Sort out what a source's first ``process()`` returned: an iterator, an async
    iterator, or one value (None is none)."""
    if result is None:
        return
    cls = type(result)
    if cls not in _SINGLE and (cls is types.GeneratorType or _is_iterator(cls)):
        cursor.sync = result
    elif cls not in _SINGLE and hasattr(cls, "__anext__"):
        cursor.asynchronous = result
    else:
        items.append(result)


def _pull_sync(
    cursor: SourceCursor,
    items: list[Any],
    limit: int,
    deadline: float,
    is_set: Callable[[], bool] | None,
) -> bool:
    """Items from a sync source (or none, ending it, when it has no iterator); whether it
    stopped because the caller cancelled."""
    if cursor.sync is None:
        cursor.done = True
        return False
    for value in cursor.sync:
        items.append(value)
        if len(items) >= limit or perf_counter() >= deadline:
            return False
        if is_set is not None and is_set():
            return True
    cursor.done = True
    return False


async def _pull(
    cursor: SourceCursor,
    items: list[Any],
    limit: int,
    deadline: float,
    is_set: Callable[[], bool] | None,
) -> bool:
    """Items from an async source into ``items``; whether it stopped because the caller
    cancelled."""
    anext = cursor.asynchronous.__anext__
    while True:
        try:
            value = await anext()
        except StopAsyncIteration:
            cursor.done = True
            return False
        items.append(value)
        if len(items) >= limit or perf_counter() >= deadline:
            return False
        if is_set is not None and is_set():
            return True


def _chunk_failed(cursor: SourceCursor, items: list[Any], exc: Exception) -> ChunkResult:
    cursor.done = True
    record = _live_record(exc, cursor.produced + len(items))
    cursor.produced += len(items)
    return items, True, record


def _chunk_done(cursor: SourceCursor, items: list[Any], stopped: bool) -> ChunkResult:
    cursor.produced += len(items)
    if stopped:
        return items, False, _cancelled(cursor.produced)
    return items, cursor.done, None


async def _record_failure(awaitable: Awaitable[Any]) -> ErrorRecord | None:
    failure = await _capture(awaitable)
    return None if failure is None else _live_record(failure)


# ---------------------------------------------------------------------------
# MODULE-LEVEL API
#
# One host per interpreter. The functions are its bound methods, so a call from
# TypeScript costs one attribute lookup.
# ---------------------------------------------------------------------------

default_host = RuntimeHost()
"""The interpreter's host; the module-level functions below are its methods."""

initialize = default_host.initialize
cleanup = default_host.cleanup
process_batch = default_host.process_batch
process_batch_timed = default_host.process_batch_timed
start_source = default_host.start_source
next_chunk = default_host.next_chunk
close_source = default_host.close_source
initialize_deferred = default_host.initialize_deferred
cleanup_deferred = default_host.cleanup_deferred
process_batch_deferred = default_host.process_batch_deferred
process_batch_timed_deferred = default_host.process_batch_timed_deferred
next_chunk_deferred = default_host.next_chunk_deferred
close_source_deferred = default_host.close_source_deferred
