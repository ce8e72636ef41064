"""The worker's message loop: one request at a time, nodes kept in numbered slots.

Node calls go through :mod:`remotemedia.runtime_host` (the same host the
in-process transport uses, with its one persistent event loop), so a node
behaves the same in a worker as embedded in Node.js. This module only adds
the protocol: decoding requests, fused chains of slots, the per-item
watchdog, and encoding replies.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any, Final, NoReturn, Protocol

from .. import runtime_host
from .._pickler import dump as pickle_dump
from ..runtime_host import ChunkResult, ErrorRecord, RuntimeHost, SourceCursor
from ..serialization import unpickle_node_data
from .codec import Blobs, CodecError, MalformedFrame, decode, decode_envelope, encode_parts
from .framing import FrameReader, FrameWriter, ProtocolError

__all__ = [
    "CHECK_INTERVAL",
    "EXIT_PROTOCOL",
    "EXIT_TIMEOUT",
    "PROTOCOL_VERSION",
    "LiveNodes",
    "Worker",
    "hello_message",
]

PROTOCOL_VERSION: Final = 1

EXIT_PROTOCOL: Final = 2
"""Exit status after a protocol error."""
EXIT_TIMEOUT: Final = 3
"""Exit status after an item overran its time limit."""

CHECK_INTERVAL: Final = 0.002
"""While a batch or pull runs, the least time between two looks for a ``cancel`` (seconds)."""

_CHUNK_BUDGET: Final = 0.001
"""How long one call of a node on a chunk of a batch should take (seconds), judged from what
its items took so far: between two chunks a batch can look for a cancel."""
_CANCEL_BYTES: Final = 1024
"""Frames up to this size are looked at for a ``cancel`` while a batch runs."""

log = logging.getLogger("remotemedia.worker")


def hello_message() -> dict[str, Any]:
    """The first message a worker sends; ``numpy`` is None unless numpy is already imported."""
    import sys

    import cloudpickle
    import msgpack

    from .. import __version__

    numpy = sys.modules.get("numpy")
    return {
        "op": "hello",
        "protocol": PROTOCOL_VERSION,
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "cloudpickle": cloudpickle.__version__,
        "msgpack": ".".join(map(str, msgpack.version)),
        "numpy": None if numpy is None else numpy.__version__,
        "remotemedia": __version__,
    }


# ---------------------------------------------------------------------------
# REQUEST FIELDS
# ---------------------------------------------------------------------------


def _field(
    msg: dict[str, Any], name: str, kind: type | tuple[type, ...], *, optional: bool = False
) -> Any:
    if name not in msg or msg[name] is None:
        if optional:
            return None
        raise ProtocolError(f"{msg.get('op')!r} message lacks field {name!r}")
    value = msg[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise ProtocolError(
            f"field {name!r} of {msg.get('op')!r} must be {expected}, got {type(value).__name__}"
        )
    return value


class _Failure(Exception):
    """A request failed for a reason that is reported as an ``error`` reply."""

    def __init__(self, phase: str, node_id: str | None, record: ErrorRecord, **extra: Any) -> None:
        super().__init__(record["message"])
        self.phase = phase
        self.node_id = node_id
        self.record = record
        self.extra = extra


class LiveNodes(Protocol):
    """The caller's own objects, served by a standalone caller's worker (``load_live``)."""

    def node(self, ref: int) -> Any:
        """The object registered as ``ref``; raises :class:`LookupError` when there is none."""
        ...

    def remember(self, ref: int, exc: BaseException) -> int:
        """Keep ``exc``, raised by the object ``ref``, for its run; returns the id naming it."""
        ...


class _ParentGone(Exception):
    """The request pipe ended while a batch ran: the parent is gone, nothing is answered."""


# ---------------------------------------------------------------------------
# WATCHDOG
#
# Per-item time limits are enforced in the worker, where the item's index is
# known: a thread waits for the deadline of the item being processed; when it
# passes, it reports the item and ends the process (a stuck node cannot be
# stopped safely any other way). The parent keeps its own, later deadline in
# case this thread cannot run (a C extension holding the GIL).
# ---------------------------------------------------------------------------


class _Watchdog:
    def __init__(self, on_expire: Callable[[dict[str, Any]], NoReturn]) -> None:
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._info: dict[str, Any] = {}
        self._on_expire = on_expire
        self._thread = threading.Thread(target=self._run, name="remotemedia-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float, info: dict[str, Any]) -> None:
        with self._cond:
            self._deadline = time.monotonic() + seconds
            self._info = info
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    self._on_expire(self._info)
                self._cond.wait(remaining)


# ---------------------------------------------------------------------------
# THE WORKER
# ---------------------------------------------------------------------------


class _Slot:
    """A loaded node: its id, how many items it received, what one took lately, for a source its cursor."""

    __slots__ = ("cost", "cursor", "is_source", "node", "node_id", "received", "ref")

    def __init__(self, node: Any, node_id: str, is_source: bool, ref: int | None) -> None:
        self.node = node
        self.node_id = node_id
        self.is_source = is_source
        self.ref = ref  # the caller's registration of a live object (load_live), else None
        self.received = 0
        self.cursor: SourceCursor | None = None
        self.cost = 1.0  # seconds per item, as last measured: unknown, taken as slow


class Worker:
    """Serves requests from ``reader`` and answers on ``writer`` until shutdown or EOF.

    With ``live`` (a standalone caller serving its own objects, PROTOCOL.md
    "Standalone callers"), ``load_live`` requests run the objects ``live``
    holds, and the error replies of their failures name the exception kept by
    ``live.remember`` (field ``exception``). With ``blobs`` (a shared-memory
    payload channel), large raw parts of requests and replies travel through it.
    """

    def __init__(
        self,
        reader: FrameReader,
        writer: FrameWriter,
        host: RuntimeHost | None = None,
        live: LiveNodes | None = None,
        blobs: Blobs | None = None,
    ) -> None:
        self._reader = reader
        self._blobs = blobs
        self._live = live
        self._writer = writer
        self._host = host or runtime_host.default_host
        self._process_batch = self._host.process_batch
        self._slots: dict[int, _Slot] = {}
        self._watchdog: _Watchdog | None = None
        self._seq: int | None = None  # of the request being answered, for a protocol error's reply
        # Frames read while a batch ran (looking for a cancel), each with the request it cancels
        # if it is a cancel; the loop answers them, in order, before it reads again.
        self._queued: deque[tuple[bytes | memoryview, int | None]] = deque()
        self._checked = 0.0  # when the running batch last looked for a cancel
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "load_manifest": self._load_manifest,
            "load_instance": self._load_instance,
            "pull": self._pull,
            "end": self._end,
            "cleanup": self._cleanup,
            "cancel": self._cancel,
        }
        if live is not None:
            self._handlers["load_live"] = self._load_live

    # -- sending -------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        self._writer.write_parts(encode_parts(message, self._blobs))

    def _send_error(self, seq: int | None, failure: _Failure) -> None:
        record = failure.record
        message: dict[str, Any] = {
            "op": "error",
            "seq": seq,
            "phase": failure.phase,
            "node_id": failure.node_id,
            "type": record["type"],
            "module": record.get("module") or "builtins",
            "message": record["message"],
            "traceback": record["traceback"],
            "index": record["index"],
            **failure.extra,
        }
        try:
            self.send(message)
        except CodecError as exc:  # partial outputs that cannot be encoded are dropped
            message["outputs"] = []
            message["message"] += f" (its partial outputs could not be sent: {exc})"
            self.send(message)

    # -- loop ----------------------------------------------------------------

    def serve(self) -> int:
        """Answer requests until ``shutdown`` (returns 0), EOF (0) or a protocol error (2)."""
        read = self._reader.read
        queued = self._queued
        answer = self._answer
        try:
            while True:
                self._seq = None  # a frame that cannot be read is no request's
                body = queued.popleft()[0] if queued else read()
                if body is None:
                    log.debug("request pipe closed: exiting")
                    return 0
                # Each request is answered in a call of its own and its body dropped here, so
                # nothing of it (body, message, items, outputs) is alive while the next read()
                # waits: the reader can then reuse its receive buffer (see FrameReader).
                done = answer(body)
                del body
                if done:
                    return 0
        except ProtocolError as exc:
            log.error("protocol error: %s", exc)
            record = runtime_host.error_record(exc)
            record["traceback"] = ""
            try:
                self._send_error(self._seq, _Failure("protocol", None, record))
            except OSError:
                pass
            return EXIT_PROTOCOL

    def _answer(self, body: bytes | memoryview) -> bool:
        """Answer one request; True after ``shutdown``. Raises :class:`ProtocolError`."""
        # Every request passes here: the hot path is kept to plain type checks.
        self._seq = None
        try:
            msg = decode(body, self._blobs)
        except CodecError as exc:
            seq, op = (None, None) if isinstance(exc, MalformedFrame) else _salvage(body)
            if seq is None:
                raise ProtocolError(str(exc)) from exc
            phase = "process" if op in ("process", "pull") else "load"
            self._send_error(seq, _Failure(phase, None, runtime_host.error_record(exc)))
            return False
        if type(msg) is not dict:  # msgpack gives exact dicts, lists and ints
            raise ProtocolError(f"a message must be a map, got {type(msg).__name__}")
        op = msg.get("op")
        seq = msg.get("seq")
        if type(seq) is not int:
            raise ProtocolError(f"message {op!r} lacks an integer 'seq'")
        self._seq = seq
        if op == "shutdown":
            self._shutdown()
            self.send({"op": "ok", "seq": seq})
            return True
        try:
            if op == "process":
                reply = self._process(msg)
            else:
                handler = self._handlers.get(op) if isinstance(op, str) else None
                if handler is None:
                    raise ProtocolError(f"unknown message op {op!r}")
                reply = handler(msg)
        except _Failure as failure:
            self._send_error(seq, failure)
            return False
        except _ParentGone:
            log.debug("request pipe closed during a batch: stopped it")
            return False
        reply["seq"] = seq
        try:
            self._writer.write_parts(encode_parts(reply, self._blobs))
        except CodecError as exc:
            self._send_error(seq, self._unsendable(msg, exc))
        return False

    def _unsendable(self, msg: dict[str, Any], exc: CodecError) -> _Failure:
        slots = msg.get("slots") or [msg.get("slot")]
        last = self._slots.get(slots[-1]) if isinstance(slots[-1], int) else None
        record = runtime_host.error_record(exc)
        return _Failure("process", last.node_id if last else None, record, outputs=[])

    # -- loading -------------------------------------------------------------

    def _new_slot(self, msg: dict[str, Any]) -> tuple[int, str]:
        slot = _field(msg, "slot", int)
        node_id = _field(msg, "node_id", str)
        if slot in self._slots:
            raise ProtocolError(f"slot {slot} is already loaded")
        return slot, node_id

    def _install(
        self, slot: int, node_id: str, node: Any, ref: int | None = None
    ) -> dict[str, Any]:
        info = runtime_host.describe_node(node)
        if info["problem"] is not None:
            raise _Failure("load", node_id, _record("TypeError", info["problem"]))
        error = self._host.initialize(node)
        if error is not None:
            raise _Failure("initialize", node_id, error, **self._kept(ref, error))
        entry = _Slot(node, node_id, info["is_source"], ref)
        if entry.is_source:
            entry.cursor = self._host.start_source(node)
        self._slots[slot] = entry
        return {
            "op": "loaded",
            "slot": slot,
            "node_id": node_id,
            "name": info["name"],
            "class_name": info["class_name"],
            "is_source": info["is_source"],
        }

    def _load_manifest(self, msg: dict[str, Any]) -> dict[str, Any]:
        slot, node_id = self._new_slot(msg)
        node_type = _field(msg, "node_type", str)
        params = _field(msg, "params", dict, optional=True) or {}
        try:
            node = runtime_host.build_node(node_type, params, node_id)
        except Exception as exc:
            raise _Failure("load", node_id, runtime_host.error_record(exc)) from exc
        return self._install(slot, node_id, node)

    def _load_instance(self, msg: dict[str, Any]) -> dict[str, Any]:
        slot, node_id = self._new_slot(msg)
        data = _field(msg, "data", bytes)
        try:
            node = unpickle_node_data(data)
        except Exception as exc:
            raise _Failure("load", node_id, runtime_host.error_record(exc)) from exc
        return self._install(slot, node_id, node)

    def _load_live(self, msg: dict[str, Any]) -> dict[str, Any]:
        slot, node_id = self._new_slot(msg)
        ref = _field(msg, "ref", int)
        assert self._live is not None
        try:
            node = self._live.node(ref)
        except LookupError as exc:
            raise _Failure("load", node_id, runtime_host.error_record(exc)) from exc
        return self._install(slot, node_id, node, ref)

    def _kept(self, ref: int | None, record: ErrorRecord) -> dict[str, Any]:
        """The ``exception`` field of a live object's failure: the id its caller keeps it by."""
        exc = record.get("exception")
        if ref is None or exc is None or self._live is None:
            return {}
        return {"exception": self._live.remember(ref, exc)}

    # -- processing ----------------------------------------------------------

    # Request fields are checked with ``type(x) is ...`` first (msgpack gives exact types);
    # only a mismatch goes through :func:`_field`, which raises the precise protocol error.

    def _chain(self, msg: dict[str, Any]) -> list[_Slot]:
        numbers = msg.get("slots")
        if type(numbers) is not list:
            numbers = _field(msg, "slots", list)
        if not numbers:
            raise ProtocolError(f"{msg['op']!r} needs at least one slot")
        slots = self._slots
        chain: list[_Slot] = []
        for number in numbers:
            entry = slots.get(number) if isinstance(number, int) else None
            if entry is None:
                raise ProtocolError(f"slot {number!r} is not loaded")
            chain.append(entry)
        return chain

    def _limit(self, msg: dict[str, Any]) -> float | None:
        if msg.get("item_timeout_ms") is None:
            return None
        value = _field(msg, "item_timeout_ms", (int, float))
        if value <= 0:
            raise ProtocolError(f"item_timeout_ms must be positive, got {value}")
        if self._watchdog is None:
            self._watchdog = _Watchdog(self._expire)
        return float(value) / 1000.0

    def _expire(self, info: dict[str, Any]) -> NoReturn:
        """Called on the watchdog thread when an item overran its limit: report, then exit."""
        record = _record(
            "TimeoutError",
            f"item {info['index']} of node {info['node_id']!r} did not finish within "
            f"{info['limit'] * 1000:g} ms; the worker stops",
        )
        record["index"] = info["index"]
        try:
            self._send_error(info["seq"], _Failure("timeout", info["node_id"], record))
        finally:
            os._exit(EXIT_TIMEOUT)

    # -- cancelling --------------------------------------------------------
    #
    # A batch or pull looks for a ``cancel`` of itself between two items (and
    # two nodes), at most every CHECK_INTERVAL: frames waiting on the request
    # pipe are read and queued for the loop, and a cancel of the running request
    # among the queued frames stops it. A node gets a batch's items in chunks
    # sized from what its items took so far to last about _CHUNK_BUDGET (the
    # whole batch in one call when it should take no longer), so a fast batch
    # pays for no extra call and no check per item.

    def _check(self, seq: int, node_id: str | None) -> None:
        """Read the frames waiting; raise the ``cancelled`` failure if one cancels ``seq``."""
        self._checked = perf_counter()
        reader = self._reader
        queued = self._queued
        while reader.waiting():
            self._seq = None  # a frame that cannot be read is not the running request's fault
            body = reader.read()
            self._seq = seq
            if body is None:
                raise _ParentGone
            queued.append((body, _cancel_target(body)))
        for _, target in queued:
            if target == seq:
                log.debug("request %d cancelled while node %r ran", seq, node_id)
                record = _record("Cancelled", f"request {seq} was cancelled")
                record["module"] = "remotemedia.worker"
                raise _Failure("cancelled", node_id, record)

    def _cancel(self, msg: dict[str, Any]) -> dict[str, Any]:
        # The cancelled request, if it was still running, has stopped and been answered by now.
        _field(msg, "target", int)
        return {"op": "ok"}

    # -- running items -------------------------------------------------------

    def _through(
        self,
        chain: Sequence[_Slot],
        items: list[Any],
        times: dict[str, list[float]] | None,
        limit: float | None,
        seq: int,
        now: float,
        failure: tuple[_Slot, ErrorRecord] | None = None,
    ) -> tuple[list[Any], tuple[_Slot, ErrorRecord] | None]:
        """Run ``items`` through ``chain`` breadth-first (``now``: the clock when called).

        When a node fails, the outputs it produced before the failure still go
        on through the rest of the chain; a failure further down wins, since
        it happened at an earlier point of the stream.
        """
        process_batch = self._process_batch
        data = items
        stale = False  # whether ``now`` predates the last node's run
        for slot in chain:
            if not data:
                break
            if stale:
                now = perf_counter()
            if now - self._checked >= CHECK_INTERVAL:
                self._check(seq, slot.node_id)
                now = perf_counter()
            first = slot.received
            count = len(data)
            slot.received = first + count
            if limit is not None:
                data, error = self._run_watched(slot, data, first, times, limit, seq)
                stale = True
            elif times is not None:
                data, error, now = self._run(slot, data, first, times, seq, now)
                stale = False
            elif count == 1:  # the hot path of one item per request: untimed
                data, error = process_batch(slot.node, data, first)
                stale = True
            elif count * slot.cost <= _CHUNK_BUDGET:  # a batch that should be quick: one call
                data, error = process_batch(slot.node, data, first)
                ended = perf_counter()
                slot.cost = (ended - now) / count
                now = ended
                stale = False
            else:
                data, error, now = self._run(slot, data, first, times, seq, now)
                stale = False
            if error is not None:
                failure = (slot, error)
        return data, failure

    def _run(
        self,
        slot: _Slot,
        items: list[Any],
        first: int,
        times: dict[str, list[float]] | None,
        seq: int,
        began: float,
    ) -> tuple[list[Any], ErrorRecord | None, float]:
        """One node's part of :meth:`_through` (``began``: the clock now); also returns the clock
        when it ended.

        Items go to the node in chunks expected to take :data:`_CHUNK_BUDGET` from
        what its items took so far (the whole batch in one call when it should take
        no longer), with a look for a cancel between chunks.
        """
        node = slot.node
        step: Callable[[Any, Sequence[Any], int], tuple[list[Any], ErrorRecord | None]]
        if times is None:
            step = self._process_batch
        else:
            spent = times.setdefault(slot.node_id, [])
            timed = self._host.process_batch_timed

            def step(
                node: Any, chunk: Sequence[Any], index: int
            ) -> tuple[list[Any], ErrorRecord | None]:
                outputs, error, ms = timed(node, chunk, index)
                spent.extend(ms)
                return outputs, error

        count = len(items)
        size = (
            count if count * slot.cost <= _CHUNK_BUDGET else max(1, int(_CHUNK_BUDGET / slot.cost))
        )
        out: list[Any] = []
        start = 0
        while True:
            end = min(start + size, count)
            outputs, error = step(
                node, items if start == 0 and end == count else items[start:end], first + start
            )
            out += outputs
            now = perf_counter()
            slot.cost = (now - began) / (end - start)
            if error is not None or end == count:
                return out, error, now
            start = end
            if now - self._checked >= CHECK_INTERVAL:
                self._check(seq, slot.node_id)
                now = perf_counter()
            size = max(1, int(_CHUNK_BUDGET / max(slot.cost, 1e-9)))
            began = now

    def _run_watched(
        self,
        slot: _Slot,
        items: Sequence[Any],
        first: int,
        times: dict[str, list[float]] | None,
        limit: float,
        seq: int,
    ) -> tuple[list[Any], ErrorRecord | None]:
        """One node's part of :meth:`_through` under the per-item watchdog, item by item."""
        host = self._host
        watchdog = self._watchdog
        assert watchdog is not None
        out: list[Any] = []
        for offset, item in enumerate(items):
            if offset and perf_counter() - self._checked >= CHECK_INTERVAL:
                self._check(seq, slot.node_id)
            index = first + offset
            watchdog.arm(
                limit, {"seq": seq, "node_id": slot.node_id, "index": index, "limit": limit}
            )
            t0 = perf_counter()
            try:
                outputs, error = host.process_batch(slot.node, (item,), index)
            finally:
                watchdog.disarm()
            if times is not None:
                times.setdefault(slot.node_id, []).append((perf_counter() - t0) * 1000.0)
            out.extend(outputs)
            if error is not None:
                return out, error
        return out, None

    def _process(self, msg: dict[str, Any]) -> dict[str, Any]:
        chain = self._chain(msg)
        items = msg.get("items")
        if type(items) is not list:
            items = _field(msg, "items", list)
        first_index = msg.get("first_index")
        if type(first_index) is not int:
            first_index = _field(msg, "first_index", int)
        head = chain[0]
        if head.is_source:
            raise ProtocolError(f"slot of source node {head.node_id!r} takes no items: use 'pull'")
        limit = None if msg.get("item_timeout_ms") is None else self._limit(msg)
        times: dict[str, list[float]] | None = {} if msg.get("timed") else None
        head.received = first_index
        self._checked = now = perf_counter()
        outputs, failure = self._through(chain, items, times, limit, msg["seq"], now)
        if failure is not None:
            slot, record = failure
            raise _Failure(
                "process", slot.node_id, record, outputs=outputs, **self._kept(slot.ref, record)
            )
        if times is None:
            return {"op": "result", "outputs": outputs}
        return {"op": "result", "outputs": outputs, "times": times}

    def _pull(self, msg: dict[str, Any]) -> dict[str, Any]:
        chain = self._chain(msg)
        source = chain[0]
        if source.cursor is None:
            raise ProtocolError(f"slot of node {source.node_id!r} is not a source")
        max_items = _field(msg, "max_items", int, optional=True) or runtime_host.SOURCE_CHUNK_ITEMS
        max_wait = _field(msg, "max_wait_ms", (int, float), optional=True)
        limit = self._limit(msg)
        times: dict[str, list[float]] | None = {} if msg.get("timed") else None
        wait = runtime_host.SOURCE_CHUNK_WAIT if max_wait is None else max_wait / 1000.0
        seq = msg["seq"]
        self._checked = perf_counter()
        watchdog = self._watchdog
        try:
            if limit is not None and watchdog is not None:
                watchdog.arm(
                    limit,
                    {
                        "seq": seq,
                        "node_id": source.node_id,
                        "index": source.cursor.produced,
                        "limit": limit,
                    },
                )
                try:
                    items, done, error = self._host.next_chunk(source.cursor, 1, wait)
                finally:
                    watchdog.disarm()
            else:
                items, done, error = self._next_items(source, max_items, wait, seq)
            failure = None if error is None else (source, error)
            outputs, failure = self._through(
                chain[1:], items, times, limit, seq, perf_counter(), failure
            )
        except _Failure as stopped:
            if stopped.phase == "cancelled":
                stopped.extra["done"] = True
            raise
        if failure is not None:
            slot, record = failure
            raise _Failure(
                "process",
                slot.node_id,
                record,
                outputs=outputs,
                done=True,
                **self._kept(slot.ref, record),
            )
        reply: dict[str, Any] = {"op": "result", "outputs": outputs, "done": done}
        if times is not None:
            reply["times"] = times
        return reply

    def _next_items(self, source: _Slot, max_items: int, wait: float, seq: int) -> ChunkResult:
        """Up to ``max_items`` items of a source within ``wait`` seconds (as ``next_chunk``
        pulls them), taken in steps of at most CHECK_INTERVAL with a look for a cancel between."""
        cursor = source.cursor
        assert cursor is not None
        next_chunk = self._host.next_chunk
        deadline = perf_counter() + wait
        items, done, error = next_chunk(cursor, max_items, min(wait, CHECK_INTERVAL))
        while not done and error is None and len(items) < max_items:
            now = perf_counter()
            if now >= deadline:
                break
            if now - self._checked >= CHECK_INTERVAL:
                self._check(seq, source.node_id)
            more, done, error = next_chunk(
                cursor, max_items - len(items), min(deadline - now, CHECK_INTERVAL)
            )
            items += more
        return items, done, error

    # -- ending --------------------------------------------------------------

    def _end(self, msg: dict[str, Any]) -> dict[str, Any]:
        for slot in self._chain(msg):
            if slot.cursor is not None and not slot.cursor.done:
                error = self._host.close_source(slot.cursor)
                if error is not None:
                    log.warning("closing source %r failed: %s", slot.node_id, error["message"])
        return {"op": "ok"}

    def _cleanup(self, msg: dict[str, Any]) -> dict[str, Any]:
        number = _field(msg, "slot", int)
        slot = self._slots.pop(number, None)
        if slot is None:
            raise ProtocolError(f"slot {number} is not loaded")
        if slot.cursor is not None and not slot.cursor.done:
            self._host.close_source(slot.cursor)
        error = self._host.cleanup(slot.node)
        if error is not None:
            raise _Failure("cleanup", slot.node_id, error, **self._kept(slot.ref, error))
        reply: dict[str, Any] = {"op": "ok"}
        if msg.get("return_state"):
            sink = io.BytesIO()
            try:
                pickle_dump(slot.node, sink, protocol=5)
            except Exception as exc:
                raise _Failure("cleanup", slot.node_id, runtime_host.error_record(exc)) from exc
            reply["state"] = sink.getvalue()
        return reply

    def _shutdown(self) -> None:
        for number in sorted(self._slots, reverse=True):
            slot = self._slots.pop(number)
            log.warning("shutdown with node %r still loaded: cleaning it up", slot.node_id)
            self._host.cleanup(slot.node)
        self._host.close()


def _record(kind: str, message: str) -> ErrorRecord:
    return {"type": kind, "module": "builtins", "message": message, "traceback": "", "index": None}


def _salvage(body: bytes | bytearray | memoryview) -> tuple[int | None, str | None]:
    """``seq`` and ``op`` of a request whose data failed to decode, if the envelope is readable."""
    msg = decode_envelope(body)
    if not isinstance(msg, dict):
        return None, None
    seq, op = msg.get("seq"), msg.get("op")
    return (seq if isinstance(seq, int) else None), (op if isinstance(op, str) else None)


def _cancel_target(body: bytes | memoryview) -> int | None:
    """The request a frame read during a batch cancels, if it is a small, valid ``cancel``."""
    if len(body) > _CANCEL_BYTES:
        return None
    try:
        msg = decode(body)
    except CodecError:
        return None
    if type(msg) is not dict or msg.get("op") != "cancel":
        return None
    target = msg.get("target")
    return target if type(target) is int else None
