"""Pipeline: a named linear chain of nodes that serializes to a manifest v1 document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

from .errors import ManifestError
from .node import Node

__all__ = ["Pipeline"]


def _utc_timestamp() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Pipeline:
    """An ordered chain of :class:`Node` objects; each node's output feeds the next one."""

    def __init__(self, nodes: Iterable[Node] | None = None, name: str | None = None) -> None:
        self.name: str = name or "pipeline"
        self._nodes: list[Node] = []
        for node in nodes or ():
            self.add_node(node)

    def add_node(self, node: Node) -> Pipeline:
        """Append ``node`` to the chain and return the pipeline, for chaining."""
        if not isinstance(node, Node):
            raise TypeError(
                f"Pipeline {self.name!r} accepts only remotemedia Node instances, "
                f"got {type(node).__module__}.{type(node).__qualname__}"
            )
        self._nodes.append(node)
        return self

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The nodes in chain order."""
        return tuple(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(tuple(self._nodes))

    def __len__(self) -> int:
        return len(self._nodes)

    def to_manifest(self, description: str | None = None) -> dict[str, Any]:
        """Build the manifest v1 document as a dict (see :meth:`serialize`)."""
        ids = [f"{node.name}_{i}" for i, node in enumerate(self._nodes)]
        metadata: dict[str, Any] = {"name": self.name, "created_at": _utc_timestamp()}
        if description:
            metadata["description"] = description
        manifest_nodes = []
        for node_id, node in zip(ids, self._nodes, strict=True):
            entry = node.to_manifest()
            entry["id"] = node_id
            manifest_nodes.append(entry)
        return {
            "version": "v1",
            "metadata": metadata,
            "nodes": manifest_nodes,
            "connections": [{"from": a, "to": b} for a, b in pairwise(ids)],
        }

    def serialize(self, description: str | None = None) -> str:
        """Return the pipeline as a manifest v1 JSON string.

        Node ids are ``f"{node.name}_{index}"``; connections link each node to
        the next. Raises :class:`ManifestError` naming the node whose params
        are not JSON-serializable (pass such a node as an instance instead).
        """
        import json  # not at module level: importing remotemedia stays cheap

        manifest = self.to_manifest(description)
        for entry in manifest["nodes"]:
            try:
                json.dumps(entry["params"])
            except (TypeError, ValueError) as exc:
                raise ManifestError(
                    f"Cannot write node {entry['id']!r} ({entry['node_type']}) to a manifest: "
                    f"its params are not JSON-serializable ({exc}); "
                    "pass the node as a Python instance instead"
                ) from exc
        return json.dumps(manifest, indent=2)

    async def run(self, input_data: Any = None, *, transport: str | None = None) -> Any:
        """Run the pipeline through :mod:`remotemedia.api`.

        With no ``input_data`` this is ``execute_pipeline(self)`` (one output, or
        ``None``, or the list of outputs). Otherwise it is
        ``execute_pipeline_with_input(self, input_data)``, returning the list of
        outputs; a single item that is not a list is fed as ``[input_data]``.
        """
        from .api import execute_pipeline, execute_pipeline_with_input  # api imports this module

        if input_data is None:
            return await execute_pipeline(self, transport=transport)
        if not isinstance(input_data, list):
            input_data = [input_data]
        return await execute_pipeline_with_input(self, input_data, transport=transport)

    def __repr__(self) -> str:
        return f"Pipeline(name={self.name!r}, nodes={[node.name for node in self._nodes]!r})"
