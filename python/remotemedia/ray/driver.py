"""The Ray driver: the worker protocol served over Ray actors instead of nodes in this process.

``python -m remotemedia.worker --ray '<json>'`` connects to a cluster (the
``address`` given, else ``RAY_ADDRESS``, else a local cluster it starts and
stops itself) and then answers the parent exactly as a worker does; only
where a slot's node lives changes. Each loaded node is a pool of
:class:`~remotemedia.ray.actor.NodeActor` actors (one unless its placement
asks for stateless replicas) placed by its Ray options.

A ``process`` request on a chain of slots is split into as many contiguous
parts as the chain's largest pool has actors (one part without replicas);
each part flows through the chain actor to actor as Ray object references:
the driver hands node *n*'s output reference to node *n+1* and never reads
it, so large arrays go through the object store from host to host and only
the last node's outputs come back here. Parts go to a pool's actors in
round robin and their outputs are joined in order, so order is kept. A
node's item numbering stays exact: each call learns, from the small
``meta`` objects of the earlier parts, how many items came before its own.

Failures: a node's exception is a record in its meta and comes back as the
usual ``error`` reply (phase ``process``, with its traceback); the outputs
made before it are delivered, and later parts are skipped. An actor that
dies (its process, or its host) is an ``error`` reply of phase ``crashed``
naming the actor, its host and pid; with ``actor_restarts``, Ray recreates
it from its recipe (unpickle + initialize) and retries the call first.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any, Final, NoReturn, TypedDict

from .. import runtime_host
from ..runtime_host import ErrorRecord
from ..serialization import unpickle_node_data
from ..worker.codec import Blobs
from ..worker.framing import FrameReader, FrameWriter, ProtocolError
from ..worker.server import EXIT_TIMEOUT, Worker, _Failure, _field, _Slot
from .actor import Failure, Meta, NodeActor, Recipe
from .placement import Placement, PlacementError, parse_placement

__all__ = ["LocalCluster", "RayDriver", "RaySettings", "connect"]

log = logging.getLogger("remotemedia.ray")

_CONNECT_TIMEOUT: Final = 5.0
"""How long the driver tries to reach a cluster's address before it gives up (seconds)."""

_PROBE_TIMEOUT: Final = 3.0
"""How long the driver waits for the cluster's node list after an actor was lost (seconds)."""

_POLL: Final = 0.02
"""While a batch runs on the cluster, how often the driver looks for a ``cancel`` (seconds)."""


class LocalCluster(TypedDict, total=False):
    """How the local cluster the driver starts itself (no address given) is sized."""

    num_cpus: int | None
    object_store_bytes: int | None
    resources: dict[str, float] | None


class RaySettings(TypedDict, total=False):
    """The ``--ray`` argument of the worker."""

    address: str | None
    namespace: str | None
    actor_restarts: int
    placement_timeout_s: float
    local: LocalCluster


def connect(settings: RaySettings) -> dict[str, Any]:
    """Join the cluster the settings name (or start a local one); returns the hello fields.

    Raises :class:`ConnectionError` naming the address when the cluster cannot be reached.
    """
    # Without this, a driver whose cluster went away keeps retrying for a minute before it exits.
    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", "10")
    import ray

    address = settings.get("address") or os.environ.get("RAY_ADDRESS") or None
    env_vars = {k: os.environ[k] for k in ("PYTHONPATH",) if os.environ.get(k)}
    common: dict[str, Any] = {
        # Ray's own start-up chatter ("Connecting to...", "Started a local Ray instance") stays
        # out of the caller's log; its warnings still reach it.
        "logging_level": logging.WARNING,
        "namespace": settings.get("namespace"),
        "log_to_driver": True,
        "runtime_env": {"env_vars": env_vars} if env_vars else None,
    }
    if address is not None and address.startswith("ray://"):
        raise ConnectionError(
            f"cannot use the Ray Client address {address!r}: the driver joins the cluster as a Ray "
            "driver, so give the head's GCS address (host:6379, as `ray start --head` prints it)"
        )
    if address is not None:
        _reachable(address)
    try:
        if address is not None:
            ray.init(address=address, **common)
        else:
            local = settings.get("local") or {}
            ray.init(
                address="local",  # a cluster of its own, even when another runs on this machine
                num_cpus=local.get("num_cpus"),
                object_store_memory=local.get("object_store_bytes"),
                resources=local.get("resources"),
                include_dashboard=False,
                **common,
            )
    except Exception as exc:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray cluster"
        raise ConnectionError(f"cannot connect to {where}: {exc}") from exc
    alive = [n for n in ray.nodes() if n.get("Alive")]
    return {
        "ray": ray.__version__,
        "ray_address": ray.get_runtime_context().gcs_address,
        "ray_nodes": len(alive),
    }


def _reachable(address: str) -> None:
    """Raise :class:`ConnectionError` when a ``host:port`` address does not accept a connection
    (Ray itself would retry, then end the process without a word)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto", a client address: Ray resolves those itself
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ConnectionError(
            f"cannot connect to the Ray cluster at {address!r}: {exc} (is `ray start --head` "
            "running there, and is the address its GCS address?)"
        ) from exc


class _Pool:
    """The actors serving one node, fed in round robin, and what the node received so far."""

    __slots__ = ("actors", "next", "received")

    def __init__(self, actors: list[Any]) -> None:
        self.actors = actors
        self.next = 0
        self.received = 0

    def pick(self) -> Any:
        actor = self.actors[self.next]
        self.next = (self.next + 1) % len(self.actors)
        return actor


def _record(kind: str, message: str, module: str = "builtins") -> ErrorRecord:
    return {"type": kind, "module": module, "message": message, "traceback": "", "index": None}


def _resources(amounts: dict[str, float]) -> str:
    """``{CPU: 2, memory: 22.8 GiB, ...}``: a cluster node's resources (or a demand), readable."""
    shown = []
    for name, value in sorted(amounts.items()):
        if name.startswith("node:"):
            continue  # Ray's per-node marker resource
        shown.append(
            f"{name}: {value / 2**30:.1f} GiB" if "memory" in name else f"{name}: {value:g}"
        )
    return "{" + ", ".join(shown) + "}"


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    """``items`` in ``parts`` contiguous runs whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    out: list[list[Any]] = []
    start = 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


class RayDriver(Worker):
    """:class:`~remotemedia.worker.server.Worker` whose slots are pools of Ray actors."""

    def __init__(
        self,
        reader: FrameReader,
        writer: FrameWriter,
        settings: RaySettings,
        imports: Sequence[str] = (),
        allowed: Sequence[str] = (),
        blobs: Blobs | None = None,
    ) -> None:
        import ray

        super().__init__(reader, writer, blobs=blobs)
        self._ray = ray
        self._restarts = int(settings.get("actor_restarts") or 0)
        self._placement_timeout = float(settings.get("placement_timeout_s") or 120.0)
        self._setup: Recipe = {"imports": list(imports), "allowed": list(allowed)}
        # A threaded actor: its calls run in order on one thread; `cancel` has a thread of its own.
        # (Ray's stubs leave this decorator form out: it is typed as Any here.)
        remote: Any = ray.remote
        self._actor_class = remote(concurrency_groups={"control": 1})(NodeActor)
        self._address = ray.get_runtime_context().gcs_address
        self._actors: dict[str, tuple[str, dict[str, Any]]] = {}  # actor id: node id, where

    # -- loading -------------------------------------------------------------

    def _load_manifest(self, msg: dict[str, Any]) -> dict[str, Any]:
        slot, node_id = self._new_slot(msg)
        node_type = _field(msg, "node_type", str)
        params = dict(msg.get("params") or {})
        try:
            placement = parse_placement(node_id, params.pop("ray", None))
        except PlacementError as exc:
            raise _Failure("load", node_id, runtime_host.error_record(exc)) from exc
        recipe: Recipe = {
            **self._setup,
            "kind": "manifest",
            "node_type": node_type,
            "params": params,
        }
        return self._start(slot, node_id, recipe, placement)

    def _load_instance(self, msg: dict[str, Any]) -> dict[str, Any]:
        slot, node_id = self._new_slot(msg)
        data = _field(msg, "data", bytes)
        try:
            # Only to read its Ray options: the actors unpickle their own copies.
            node = unpickle_node_data(data)
            placement = parse_placement(node_id, getattr(node, "ray_options", None))
        except Exception as exc:
            raise _Failure("load", node_id, runtime_host.error_record(exc)) from exc
        if getattr(node, "stateless", False) is True and not placement.stateless:
            placement = dataclasses.replace(placement, stateless=True)
        del node
        return self._start(
            slot, node_id, {**self._setup, "kind": "instance", "data": data}, placement
        )

    def _infeasible(self, node_id: str, placement: Placement) -> _Failure | None:
        """The failure of a placement no node of the cluster could ever take, else None."""
        demand = placement.demand()
        if not demand:
            return None
        offers = [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]
        if any(all(offer.get(k, 0) >= v for k, v in demand.items()) for offer in offers):
            return None
        described = ", ".join(_resources(o) for o in offers)
        wanted = _resources(demand)
        return _Failure(
            "load",
            node_id,
            _record(
                "PlacementError",
                f"node {node_id!r} asks for {wanted} per actor, which no node of the Ray "
                f"cluster offers (its {len(offers)} node(s): {described})",
                "remotemedia.ray.placement",
            ),
        )

    def _spawn(self, node_id: str, recipe: Recipe, placement: Placement, count: int) -> list[Any]:
        options = placement.actor_options()
        return [
            self._actor_class.options(
                **options,
                max_restarts=self._restarts,
                max_task_retries=self._restarts,
            ).remote(node_id, recipe)
            for _ in range(count)
        ]

    def _ready(self, node_id: str, actors: list[Any], placement: Placement) -> list[dict[str, Any]]:
        """Wait for each actor's ``ready()``; kills them all and raises on any failure."""
        ray = self._ray
        try:
            infos: list[dict[str, Any]] = ray.get(
                [a.ready.remote() for a in actors], timeout=self._placement_timeout
            )
        except ray.exceptions.GetTimeoutError:
            self._kill(actors)
            wanted = _resources(placement.demand())
            raise _Failure(
                "load",
                node_id,
                _record(
                    "PlacementError",
                    f"node {node_id!r}: its actor(s) asking for {wanted} could not be placed on "
                    f"the Ray cluster within {self._placement_timeout:g} s (all such resources "
                    "are taken)",
                    "remotemedia.ray.placement",
                ),
            ) from None
        except ray.exceptions.RayActorError as exc:
            self._kill(actors)
            raise _Failure(
                "crashed", node_id, _record("ActorDiedError", str(exc), "ray.exceptions")
            ) from exc
        for info in infos:
            failure: Failure | None = info["failure"]
            if failure is not None:
                self._kill(actors)
                raise _Failure(failure["phase"], node_id, failure["record"])
        return infos

    def _start(
        self, slot: int, node_id: str, recipe: Recipe, placement: Placement
    ) -> dict[str, Any]:
        infeasible = self._infeasible(node_id, placement)
        if infeasible is not None:
            raise infeasible
        # Declared stateless up front (its options, or an instance's class): every replica starts at
        # once. Otherwise the first one says whether the node's class declares it, before any other.
        at_once = placement.replicas if placement.stateless else 1
        actors = self._spawn(node_id, recipe, placement, at_once)
        infos = self._ready(node_id, actors, placement)
        first = infos[0]
        if placement.replicas > 1:
            problem = None
            if first["is_source"]:
                problem = "a source is one actor: replicas are not allowed on it"
            elif not (placement.stateless or first["stateless"]):
                problem = (
                    "its state lives in one actor, so replicas would each hold a diverging copy; "
                    "declare it stateless (`stateless = True` on its class, or "
                    '"stateless": true in its Ray options) to spread it over replicas'
                )
            if problem is not None:
                self._kill(actors)
                raise _Failure(
                    "load",
                    node_id,
                    _record(
                        "PlacementError",
                        f"node {node_id!r} ({first['class_name']}) asks for "
                        f"{placement.replicas} replicas, but {problem}",
                        "remotemedia.ray.placement",
                    ),
                )
            if len(actors) < placement.replicas:
                more = self._spawn(node_id, recipe, placement, placement.replicas - len(actors))
                try:
                    infos += self._ready(node_id, more, placement)
                except _Failure:
                    self._kill(actors)  # (`_ready` killed the others)
                    raise
                actors += more
        where = [{k: info[k] for k in ("actor", "host", "ray_node", "pid")} for info in infos]
        for spot in where:
            self._actors[spot["actor"]] = (node_id, spot)
        log.debug("node %r on %s", node_id, ", ".join(f"{w['host']} pid {w['pid']}" for w in where))
        self._slots[slot] = _Slot(_Pool(actors), node_id, first["is_source"], None)
        return {
            "op": "loaded",
            "slot": slot,
            "node_id": node_id,
            "name": first["name"],
            "class_name": first["class_name"],
            "is_source": first["is_source"],
        }

    # -- running ---------------------------------------------------------------

    def _flow(
        self,
        chain: Sequence[_Slot],
        parts: list[Any],
        metas: list[Any],
        seq: int,
        timed: bool,
        head_bases: list[int] | None,
    ) -> tuple[list[Any], list[Any], list[tuple[_Pool, list[Any]]]]:
        """Submit every part through ``chain``; returns the last outputs and metas (references)
        and each pool's meta references. ``head_bases``: the first item index of each part at
        the head, when the head takes the request's own items."""
        submitted: list[tuple[_Pool, list[Any]]] = []
        for position, slot in enumerate(chain):
            pool: _Pool = slot.node
            outs: list[Any] = []
            new_metas: list[Any] = []
            for k, part in enumerate(parts):
                if position == 0 and head_bases is not None:
                    base, earlier = head_bases[k], ()
                else:
                    base, earlier = pool.received, tuple(metas[:k])
                out, meta = (
                    pool.pick()
                    .run.options(num_returns=2)
                    .remote(part, metas[k], seq, base, timed, *earlier)
                )
                outs.append(out)
                new_metas.append(meta)
            submitted.append((pool, new_metas))
            parts, metas = outs, new_metas
        return parts, metas, submitted

    def _await(
        self,
        refs: list[Any],
        pools: Sequence[_Pool],
        seq: int,
        node_id: str,
        deadline: float | None,
    ) -> None:
        """Wait until ``refs`` are ready, looking for a ``cancel`` meanwhile (which the actors of
        ``pools`` then see before their next item); past ``deadline`` (an item time limit),
        report the timeout and exit as a worker does."""
        ray = self._ray
        pending = refs
        while pending:
            _, pending = ray.wait(
                pending, num_returns=len(pending), timeout=_POLL, fetch_local=False
            )
            if not pending:
                return
            try:
                self._check(seq, node_id)
            except _Failure:
                for pool in pools:
                    for actor in pool.actors:
                        actor.cancel.options(concurrency_group="control").remote(seq)
                for ref in pending:
                    try:
                        ray.cancel(ref)
                    except Exception:  # cancelling is best effort: the parts are dropped anyway
                        pass
                raise
            if deadline is not None and time.monotonic() > deadline:
                self._timed_out(seq, node_id)

    def _timed_out(self, seq: int, node_id: str) -> NoReturn:
        record = _record(
            "TimeoutError",
            f"a batch through node {node_id!r} overran its item time limit; the driver stops "
            "(its actors with it)",
        )
        try:
            self._send_error(seq, _Failure("timeout", node_id, record))
        finally:
            os._exit(EXIT_TIMEOUT)

    def _crash(self, exc: BaseException, fallback: str) -> _Failure:
        """The failure of a part whose actor died or whose call failed inside Ray."""
        ray = self._ray
        actor_id = getattr(exc, "actor_id", None)
        if isinstance(exc, ray.exceptions.RayTaskError):
            # Ray's error mixes in the cause's class and forwards unknown attributes to the cause.
            actor_id = exc.__dict__.get("_actor_id")
            cause = exc.__dict__.get("cause")
            record = runtime_host.error_record(cause if isinstance(cause, BaseException) else exc)
            record["traceback"] = str(exc)
            owner = self._actors.get(actor_id or "", (fallback, {}))[0]
            return _Failure("process", owner, record)
        node_id, where = self._actors.get(actor_id or "", (fallback, {}))
        record = _record(
            type(exc).__name__,
            f"{exc}{self._cluster_state(where.get('ray_node'))}",
            "ray.exceptions",
        )
        return _Failure(
            "crashed",
            node_id,
            record,
            actor=where.get("actor", actor_id),
            host=where.get("host"),
            ray_node=where.get("ray_node"),
            pid=where.get("pid"),
        )

    def _collect(
        self,
        outs: list[Any],
        metas: list[Any],
        submitted: list[tuple[_Pool, list[Any]]],
        seq: int,
        first_node: str,
        deadline: float | None,
    ) -> tuple[list[Any], Meta | None, _Failure | None]:
        """Wait for a flow; returns the outputs in order, the last part's meta, and the failure
        that ended the batch (a node's, or a crash's)."""
        ray = self._ray
        pools = [pool for pool, _ in submitted]
        self._await([*outs, *metas], pools, seq, first_node, deadline)
        for pool, refs in submitted:
            for ref in refs:
                try:
                    pool.received += ray.get(ref)["received"]
                except Exception:  # a part lost with its actor: reported below
                    pass
        outputs: list[Any] = []
        last: Meta | None = None
        for out, meta_ref in zip(outs, metas, strict=True):
            try:
                meta: Meta = ray.get(meta_ref)
                outputs += ray.get(out)
            except Exception as exc:
                return outputs, last, self._crash(exc, first_node)
            last = meta if last is None else {**meta, "times": _merge(last["times"], meta["times"])}
            failure = meta["failure"]
            if failure is not None:
                return (
                    outputs,
                    last,
                    _Failure(failure["phase"], failure["node_id"], failure["record"]),
                )
        return outputs, last, None

    def _cluster_state(self, ray_node: str | None) -> str:
        """What the cluster says after an actor was lost: whether it still answers, and whether
        the actor's host is still one of its nodes (a sentence to append, or "")."""
        found: list[list[dict[str, Any]]] = []
        probe = threading.Thread(target=lambda: found.append(self._ray.nodes()), daemon=True)
        probe.start()
        probe.join(_PROBE_TIMEOUT)
        if not found:
            return (
                f"; the Ray cluster at {self._address} does not answer within "
                f"{_PROBE_TIMEOUT:g} s: it is gone or unreachable"
            )
        alive = {n.get("NodeID") for n in found[0] if n.get("Alive")}
        if ray_node is not None and ray_node not in alive:
            return f"; its host (Ray node {ray_node}) is no longer part of the cluster"
        return ""

    def _deadline(self, msg: dict[str, Any], items: int, nodes: int) -> float | None:
        value = msg.get("item_timeout_ms")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ProtocolError(f"item_timeout_ms must be a positive number, got {value!r}")
        return time.monotonic() + value / 1000.0 * max(1, items) * nodes

    def _process(self, msg: dict[str, Any]) -> dict[str, Any]:
        chain = self._chain(msg)
        items = _field(msg, "items", list)
        first_index = _field(msg, "first_index", int)
        head = chain[0]
        if head.is_source:
            raise ProtocolError(f"slot of source node {head.node_id!r} takes no items: use 'pull'")
        seq = msg["seq"]
        timed = bool(msg.get("timed"))
        deadline = self._deadline(msg, len(items), len(chain))
        width = max(len(slot.node.actors) for slot in chain)
        parts = _split(items, max(1, min(width, len(items))))
        bases = []
        offset = first_index
        for part in parts:
            bases.append(offset)
            offset += len(part)
        head.node.received = first_index
        outs, metas, submitted = self._flow(chain, parts, [None] * len(parts), seq, timed, bases)
        outputs, last, failure = self._collect(outs, metas, submitted, seq, head.node_id, deadline)
        if failure is not None:
            failure.extra["outputs"] = outputs
            raise failure
        reply: dict[str, Any] = {"op": "result", "outputs": outputs}
        if timed and last is not None:
            reply["times"] = last["times"] or {}
        return reply

    def _pull(self, msg: dict[str, Any]) -> dict[str, Any]:
        chain = self._chain(msg)
        source = chain[0]
        if not source.is_source:
            raise ProtocolError(f"slot of node {source.node_id!r} is not a source")
        max_items = msg.get("max_items") or runtime_host.SOURCE_CHUNK_ITEMS
        max_wait = msg.get("max_wait_ms")
        wait = runtime_host.SOURCE_CHUNK_WAIT if max_wait is None else max_wait / 1000.0
        deadline = self._deadline(msg, 1, len(chain))
        if deadline is not None:
            max_items = 1
        seq = msg["seq"]
        timed = bool(msg.get("timed"))
        pool: _Pool = source.node
        out, meta = pool.pick().pull.options(num_returns=2).remote(seq, max_items, wait, timed)
        outs, metas, submitted = self._flow(chain[1:], [out], [meta], seq, timed, None)
        submitted.insert(0, (pool, [meta]))
        try:
            outputs, last, failure = self._collect(
                outs, metas, submitted, seq, source.node_id, deadline
            )
        except _Failure as stopped:
            if stopped.phase == "cancelled":
                stopped.extra["done"] = True
            raise
        done = False
        try:
            done = bool(self._ray.get(meta)["done"])
        except Exception:  # the source's actor is gone: its failure is the one reported
            done = True
        if failure is not None:
            failure.extra.update(outputs=outputs, done=True)
            raise failure
        reply: dict[str, Any] = {"op": "result", "outputs": outputs, "done": done}
        if timed and last is not None:
            reply["times"] = last["times"] or {}
        return reply

    # -- ending ------------------------------------------------------------------

    def _end(self, msg: dict[str, Any]) -> dict[str, Any]:
        for slot in self._chain(msg):
            if not slot.is_source:
                continue
            try:
                error = self._ray.get(slot.node.actors[0].end.remote())
            except Exception as exc:
                log.warning("closing source %r failed: %s", slot.node_id, exc)
                continue
            if error is not None:
                log.warning("closing source %r failed: %s", slot.node_id, error["message"])
        return {"op": "ok"}

    def _cleanup(self, msg: dict[str, Any]) -> dict[str, Any]:
        number = msg.get("slot")
        slot = self._slots.pop(number, None) if isinstance(number, int) else None
        if slot is None:
            raise ProtocolError(f"slot {number!r} is not loaded")
        pool: _Pool = slot.node
        try:
            results = self._cleanup_pool(slot.node_id, pool, bool(msg.get("return_state")))
        finally:
            self._kill(pool.actors)
        reply: dict[str, Any] = {"op": "ok"}
        for result in results:
            if result["error"] is not None:
                raise _Failure("cleanup", slot.node_id, result["error"])
        if msg.get("return_state") and results:
            reply["state"] = results[0]["state"]
        return reply

    def _cleanup_pool(self, node_id: str, pool: _Pool, return_state: bool) -> list[dict[str, Any]]:
        """Each actor's cleanup() result; an actor already dead has nothing left to clean up."""
        results = []
        for actor in pool.actors:
            try:
                results.append(self._ray.get(actor.cleanup.remote(return_state)))
            except self._ray.exceptions.RayActorError as exc:
                log.warning("node %r: its actor is gone, nothing to clean up (%s)", node_id, exc)
        return results

    def _kill(self, actors: Sequence[Any]) -> None:
        for actor in actors:
            try:
                self._ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass

    def _shutdown(self) -> None:
        for number in sorted(self._slots, reverse=True):
            slot = self._slots.pop(number)
            log.warning("shutdown with node %r still loaded: cleaning it up", slot.node_id)
            try:
                self._cleanup_pool(slot.node_id, slot.node, False)
            finally:
                self._kill(slot.node.actors)
        self._host.close()
        self._ray.shutdown()


def _merge(
    a: dict[str, list[float]] | None, b: dict[str, list[float]] | None
) -> dict[str, list[float]] | None:
    if a is None or b is None:
        return a or b
    merged = {k: list(v) for k, v in a.items()}
    for k, v in b.items():
        merged.setdefault(k, []).extend(v)
    return merged
