"""NodeActor: one node held by a Ray actor, called by the driver as the worker calls a slot.

The actor is made from a recipe, never from a live object: a manifest node's
type and params, or the pickled instance (cleanup() already ran in the
caller; classes of the caller's own modules travel by value). Its constructor
builds or unpickles the node and runs initialize() through the same
:class:`~remotemedia.runtime_host.RuntimeHost` the worker uses, so a Ray
restart recreates it from the same recipe and initializes it again. Failures
are returned as records (:meth:`ready`, the ``meta`` of :meth:`run`), so a
node's exception reaches the caller with its traceback and never kills the
actor.

Items arrive and leave as Ray objects: :meth:`run` takes the upstream actor's
outputs (an object reference the driver passed on, resolved by Ray on this
host) and returns its own outputs and a small ``meta`` as two objects, so
the next actor reads the outputs straight from the object store.
"""

from __future__ import annotations

import importlib
import io
import os
from typing import Any, TypedDict

from .. import register_allowed_module, runtime_host
from .._pickler import dump as pickle_dump
from ..runtime_host import ErrorRecord, SourceCursor
from ..serialization import unpickle_node_data
from ..worker.server import _record

__all__ = ["Failure", "Meta", "NodeActor", "Recipe"]


class Recipe(TypedDict, total=False):
    """How to make the node: ``kind`` "manifest" (``node_type``, ``params``) or "instance"
    (``data``, the pickled instance); ``imports`` and ``allowed``: the worker's ``--import``
    and ``--allow-module`` modules, set up first."""

    kind: str
    node_type: str
    params: dict[str, Any]
    data: bytes
    imports: list[str]
    allowed: list[str]


class Failure(TypedDict):
    """A failure on the way: the node, the phase (``load``, ``initialize``, ``process``) and
    the record of its exception."""

    node_id: str
    phase: str
    record: ErrorRecord


class Meta(TypedDict):
    """What the driver learns of one call of :meth:`NodeActor.run` or :meth:`NodeActor.pull`."""

    received: int
    """Items the node was given (0 when the call was skipped)."""
    count: int
    """Outputs it produced (what the next node receives)."""
    failure: Failure | None
    """The failure that ended this part of the batch: the node's own, else the upstream one."""
    times: dict[str, list[float]] | None
    """Milliseconds per item of every node so far, when the batch is timed."""
    done: bool
    """For a pull: whether the source is exhausted."""


def _plain(record: ErrorRecord) -> ErrorRecord:
    """A record without the exception object (which may not pickle)."""
    return {
        "type": record["type"],
        "module": record.get("module") or "builtins",
        "message": record["message"],
        "traceback": record["traceback"],
        "index": record["index"],
    }


def _where() -> dict[str, Any]:
    import ray

    context = ray.get_runtime_context()
    return {
        "actor": context.get_actor_id(),
        "ray_node": context.get_node_id(),
        "host": ray.util.get_node_ip_address(),
        "pid": os.getpid(),
    }


class NodeActor:
    """A node in a Ray actor (made with ``ray.remote(NodeActor)`` by the driver)."""

    def __init__(self, node_id: str, recipe: Recipe) -> None:
        self._node_id = node_id
        self._host = runtime_host.default_host
        self._node: Any = None
        self._cursor: SourceCursor | None = None
        self._failure: Failure | None = None
        self._failed_seq: int | None = None
        # The requests the driver gave up on (added by `cancel`, on the actor's control thread).
        self._cancelled: set[int] = set()
        self._info: dict[str, Any] = {}
        try:
            for module in recipe.get("allowed", []):
                register_allowed_module(module)
            for module in recipe.get("imports", []):
                importlib.import_module(module)
            if recipe["kind"] == "manifest":
                node = runtime_host.build_node(
                    recipe["node_type"], recipe.get("params") or {}, node_id
                )
            else:
                node = unpickle_node_data(recipe["data"])
        except Exception as exc:
            self._failure = {
                "node_id": node_id,
                "phase": "load",
                "record": _plain(runtime_host.error_record(exc)),
            }
            return
        info = runtime_host.describe_node(node)
        if info["problem"] is not None:
            record = _record("TypeError", info["problem"])
            self._failure = {"node_id": node_id, "phase": "load", "record": record}
            return
        error = self._host.initialize(node)
        if error is not None:
            self._failure = {"node_id": node_id, "phase": "initialize", "record": _plain(error)}
            return
        self._node = node
        if info["is_source"]:
            self._cursor = self._host.start_source(node)
        self._info = {
            "name": info["name"],
            "class_name": info["class_name"],
            "is_source": info["is_source"],
            "stateless": getattr(node, "stateless", False) is True,
        }

    def ready(self) -> dict[str, Any]:
        """The node's description and where it runs, or the failure that kept it from loading."""
        return {**self._info, **_where(), "failure": self._failure}

    def run(
        self,
        items: list[Any],
        upstream: Meta | None,
        seq: int,
        base: int,
        timed: bool,
        *earlier: Meta,
    ) -> tuple[list[Any], Meta]:
        """Process one part of a batch: ``items`` (the upstream outputs of this part), the
        first numbered ``base`` plus what the node received in the ``earlier`` parts (their
        upstream metas). Skipped (nothing run) once an earlier part, or this node in the same
        request ``seq``, failed: the batch ended there."""
        failure = upstream["failure"] if upstream is not None else None
        times = None
        if timed:
            times = dict(upstream["times"] or {}) if upstream is not None else {}
        stopped = self._failed_seq == seq or any(m["failure"] is not None for m in earlier)
        if stopped or not items:
            return [], _meta(0, [], failure, times)
        first = base + sum(m["count"] for m in earlier)
        flag = _Cancel(self._cancelled, seq)
        if timed:
            outputs, error, ms = self._host.process_batch_timed(self._node, items, first, flag)
            assert times is not None
            times[self._node_id] = ms
        else:
            outputs, error = self._host.process_batch(self._node, items, first, flag)
        if error is not None:
            self._failed_seq = seq
            failure = {"node_id": self._node_id, "phase": "process", "record": _plain(error)}
        return outputs, _meta(len(items), outputs, failure, times)

    def cancel(self, seq: int) -> None:
        """Stop request ``seq`` before its next item (runs beside :meth:`run`, on the actor's
        ``control`` thread)."""
        self._cancelled.add(seq)

    def pull(self, seq: int, max_items: int, wait: float, timed: bool) -> tuple[list[Any], Meta]:
        """Up to ``max_items`` items of the source within ``wait`` seconds."""
        cursor = self._cursor
        assert cursor is not None, "not a source"
        flag = _Cancel(self._cancelled, seq)
        items, done, error = self._host.next_chunk(cursor, max_items, wait, flag)
        failure: Failure | None = None
        if error is not None:
            failure = {"node_id": self._node_id, "phase": "process", "record": _plain(error)}
        meta = _meta(0, items, failure, {} if timed else None)
        meta["done"] = done
        return items, meta

    def end(self) -> ErrorRecord | None:
        """Close the source early (the stream stopped)."""
        if self._cursor is None or self._cursor.done:
            return None
        error = self._host.close_source(self._cursor)
        return None if error is None else _plain(error)

    def cleanup(self, return_state: bool) -> dict[str, Any]:
        """Run the node's cleanup(); with ``return_state``, the node pickled afterwards."""
        if self._node is None:
            return {"error": None, "state": None}
        if self._cursor is not None and not self._cursor.done:
            self._host.close_source(self._cursor)
        error = self._host.cleanup(self._node)
        if error is not None:
            return {"error": _plain(error), "state": None}
        state = None
        if return_state:
            sink = io.BytesIO()
            try:
                pickle_dump(self._node, sink, protocol=5)
            except Exception as exc:
                return {"error": _plain(runtime_host.error_record(exc)), "state": None}
            state = sink.getvalue()
        self._node = None
        return {"error": None, "state": state}


class _Cancel:
    """The cancel flag of one request: set once the driver cancelled it."""

    __slots__ = ("_cancelled", "_seq")

    def __init__(self, cancelled: set[int], seq: int) -> None:
        self._cancelled = cancelled
        self._seq = seq

    def is_set(self) -> bool:
        return self._seq in self._cancelled


def _meta(
    received: int, outputs: list[Any], failure: Failure | None, times: dict[str, list[float]] | None
) -> Meta:
    return {
        "received": received,
        "count": len(outputs),
        "failure": failure,
        "times": times,
        "done": False,
    }
