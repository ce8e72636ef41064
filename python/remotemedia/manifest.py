"""Build Node objects from a manifest v1 document (JSON string or dict) through the registry."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ManifestError
from .node import Node
from .registry import create_node

__all__ = ["build_nodes_from_manifest"]

_log = logging.getLogger(__name__)


_CAMEL_KEYS = {"nodeType": "node_type", "isStreaming": "is_streaming"}


def _parse(manifest: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(manifest, (str, bytes)):
        import json  # not at module level: importing remotemedia stays cheap

        try:
            manifest = json.loads(manifest)
        except ValueError as exc:
            raise ManifestError(f"Manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, Mapping):
        raise ManifestError(f"Manifest must be a JSON object, got {type(manifest).__name__}")
    return _normalized(manifest)


def _normalized(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """Upstream's JavaScript dialect (version ``"1.0"``, camelCase node keys) as v1, with a warning."""
    version = manifest.get("version")
    changes: list[str] = []
    if version == "1.0":
        changes.append('version "1.0" -> "v1"')
    elif version != "v1":
        raise ManifestError(f"Unsupported manifest version {version!r}; expected 'v1'")
    nodes = manifest.get("nodes")
    if isinstance(nodes, list):
        renamed: list[Any] = []
        for entry in nodes:
            if isinstance(entry, Mapping):
                for camel, snake in _CAMEL_KEYS.items():
                    if camel in entry and snake not in entry:
                        entry = {snake if k == camel else k: v for k, v in entry.items()}
                        if f"{camel} -> {snake}" not in changes:
                            changes.append(f"{camel} -> {snake}")
            renamed.append(entry)
        nodes = renamed
    if not changes:
        return manifest
    _log.warning("manifest in upstream's JavaScript dialect, normalized: %s", ", ".join(changes))
    return {**manifest, "version": "v1", "nodes": nodes}


def _node_entries(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    nodes = manifest.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise ManifestError("Manifest field 'nodes' must be a non-empty list")
    entries: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(nodes):
        where = f"nodes[{index}]"
        if not isinstance(entry, Mapping):
            raise ManifestError(f"Manifest {where} must be an object")
        node_id = entry.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise ManifestError(f"Manifest {where}.id must be a non-empty string")
        if not isinstance(entry.get("node_type"), str):
            raise ManifestError(f"Manifest {where} ({node_id!r}) needs a string 'node_type'")
        if not isinstance(entry.get("params") or {}, Mapping):
            raise ManifestError(f"Manifest {where}.params ({node_id!r}) must be an object")
        if node_id in entries:
            raise ManifestError(f"Manifest node id {node_id!r} appears more than once")
        entries[node_id] = entry
    return entries


def _graph_order(ids: list[str], connections: Any) -> list[str]:
    """Node ids in an order where every node comes after the nodes feeding it (declaration
    order among those that are free to go); the connections may form any acyclic graph."""
    if connections is None:
        return ids
    if not isinstance(connections, list):
        raise ManifestError("Manifest field 'connections' must be a list")
    feeds: dict[str, list[str]] = {node_id: [] for node_id in ids}
    waiting_on = dict.fromkeys(ids, 0)
    for index, conn in enumerate(connections):
        where = f"connections[{index}]"
        if not isinstance(conn, Mapping):
            raise ManifestError(f"Manifest {where} must be an object with 'from' and 'to'")
        src, dst = conn.get("from"), conn.get("to")
        if not isinstance(src, str) or src not in feeds:
            raise ManifestError(f"Manifest {where}.from refers to unknown node id {src!r}")
        if not isinstance(dst, str) or dst not in feeds:
            raise ManifestError(f"Manifest {where}.to refers to unknown node id {dst!r}")
        feeds[src].append(dst)
        waiting_on[dst] += 1
    order: list[str] = []
    ready = [node_id for node_id in ids if waiting_on[node_id] == 0]
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for nxt in feeds[node_id]:
            waiting_on[nxt] -= 1
            if waiting_on[nxt] == 0:
                ready.append(nxt)
        ready.sort(key=ids.index)
    if len(order) != len(ids):
        raise ManifestError(f"Manifest connections form a cycle: {_cycle(feeds, set(order))}")
    return order


def _cycle(feeds: Mapping[str, list[str]], done: set[str]) -> str:
    """One cycle among the nodes not in ``done``, as ``'a' -> 'b' -> 'a'``."""
    start = next(node_id for node_id in feeds if node_id not in done)
    path = [start]
    while True:
        nxt = next(n for n in feeds[path[-1]] if n not in done)
        if nxt in path:
            loop = [*path[path.index(nxt) :], nxt]
            return " -> ".join(repr(n) for n in loop)
        path.append(nxt)


def build_nodes_from_manifest(
    manifest: str | bytes | Mapping[str, Any],
    *,
    allowed_modules: Iterable[str] = (),
) -> list[Node]:
    """Create the nodes of a manifest v1 document, each after the nodes feeding it.

    The connections may form any acyclic graph (fan-out, fan-in, several sources and
    sinks); without connections the nodes come in declaration order. Upstream's
    JavaScript dialect (version ``"1.0"``, ``nodeType``) is accepted with a warning, and
    absent ``params`` are ``{}``. Node types resolve only through the registry, or as
    module-qualified paths whose module is in ``allowed_modules`` /
    :func:`register_allowed_module`. Each node's manifest ``id`` becomes its name. The
    whole document is validated before any node is created; problems raise
    :class:`ManifestError` (or its registry siblings) naming the JSON location.
    """
    document = _parse(manifest)
    entries = _node_entries(document)
    order = _graph_order(list(entries), document.get("connections"))
    allowed = tuple(allowed_modules)
    return [
        create_node(
            entries[node_id]["node_type"],
            entries[node_id].get("params") or {},
            node_id,
            allowed_modules=allowed,
        )
        for node_id in order
    ]
