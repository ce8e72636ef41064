"""EchoNode: upstream's echo test node (text comes back numbered, anything else unchanged)."""

from __future__ import annotations

from typing import Any

from ..node import Node
from ..registry import register_node

__all__ = ["EchoNode"]


@register_node
class EchoNode(Node):
    """Echoes each input; a string ``s`` comes back as ``"Echo #n: s"``.

    ``n`` counts the inputs since the node was created (1 for the first).
    Anything that is not a string is returned unchanged. ``operation``
    (default ``"echo"``, the only value) is accepted for upstream's manifests.
    Also registered as ``Echo``.
    """

    def __init__(self, *, operation: str = "echo", name: str | None = None) -> None:
        if operation != "echo":
            raise ValueError(f"EchoNode: operation must be 'echo', got {operation!r}")
        super().__init__(name=name, operation=operation)
        self.echo_count = 0

    def process(self, data: Any) -> Any:
        self.echo_count += 1
        if isinstance(data, str):
            return f"Echo #{self.echo_count}: {data}"
        return data
