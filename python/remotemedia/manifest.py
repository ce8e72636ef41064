"""Build Node objects from a manifest v1 document (JSON string or dict) through the registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ManifestError
from .node import Node
from .registry import create_node

__all__ = ["build_nodes_from_manifest"]


def _parse(manifest: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(manifest, (str, bytes)):
        import json  # not at module level: importing remotemedia stays cheap

        try:
            manifest = json.loads(manifest)
        except ValueError as exc:
            raise ManifestError(f"Manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, Mapping):
        raise ManifestError(f"Manifest must be a JSON object, got {type(manifest).__name__}")
    if manifest.get("version") != "v1":
        raise ManifestError(
            f"Unsupported manifest version {manifest.get('version')!r}; expected 'v1'"
        )
    return manifest


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
        if not isinstance(entry.get("params", {}), Mapping):
            raise ManifestError(f"Manifest {where}.params ({node_id!r}) must be an object")
        if node_id in entries:
            raise ManifestError(f"Manifest node id {node_id!r} appears more than once")
        entries[node_id] = entry
    return entries


def _chain_order(ids: list[str], connections: Any) -> list[str]:
    """Order node ids along the connections, which must form one linear chain over all nodes."""
    if connections is None or connections == []:
        if len(ids) > 1:
            raise ManifestError(
                f"Manifest has {len(ids)} nodes but no connections; "
                "v1 pipelines are linear chains linked by connections"
            )
        return ids
    if not isinstance(connections, list):
        raise ManifestError("Manifest field 'connections' must be a list")
    successor: dict[str, str] = {}
    predecessor: dict[str, str] = {}
    for index, conn in enumerate(connections):
        where = f"connections[{index}]"
        if not isinstance(conn, Mapping):
            raise ManifestError(f"Manifest {where} must be an object with 'from' and 'to'")
        src, dst = conn.get("from"), conn.get("to")
        if not isinstance(src, str) or src not in ids:
            raise ManifestError(f"Manifest {where}.from refers to unknown node id {src!r}")
        if not isinstance(dst, str) or dst not in ids:
            raise ManifestError(f"Manifest {where}.to refers to unknown node id {dst!r}")
        if src in successor or dst in predecessor:
            raise ManifestError(
                f"Manifest {where} ({src!r} -> {dst!r}) branches or merges the chain; "
                "v1 pipelines must be linear"
            )
        successor[src] = dst
        predecessor[dst] = src
    heads = [node_id for node_id in ids if node_id not in predecessor]
    if len(heads) != 1:
        raise ManifestError(
            "Manifest connections do not form a single linear chain "
            f"(chain starts: {heads or 'none, the connections form a cycle'})"
        )
    order = [heads[0]]
    while order[-1] in successor:
        order.append(successor[order[-1]])
    if len(order) != len(ids):
        raise ManifestError("Manifest connections do not form a single linear chain over all nodes")
    return order


def build_nodes_from_manifest(
    manifest: str | bytes | Mapping[str, Any],
    *,
    allowed_modules: Iterable[str] = (),
) -> list[Node]:
    """Create the nodes of a manifest v1 document, in connection (chain) order.

    Node types resolve only through the registry, or as module-qualified paths
    whose module is in ``allowed_modules`` / :func:`register_allowed_module`.
    Each node's manifest ``id`` becomes its name. The whole document is
    validated before any node is created; problems raise
    :class:`ManifestError` (or its registry siblings) naming the JSON location.
    """
    document = _parse(manifest)
    entries = _node_entries(document)
    order = _chain_order(list(entries), document.get("connections"))
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
