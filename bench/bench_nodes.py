"""Nodes the benchmarks run on every side (remotemedia transports and the anchors): trivial and identity work."""

from __future__ import annotations

from typing import Any

from remotemedia import Node, register_node


@register_node
class BenchCounter(Node):
    """A trivial stateful node: counts calls and returns its input."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.calls = 0

    def process(self, data: Any) -> Any:
        self.calls += 1
        return data


@register_node
class BenchIdentity(Node):
    """Returns its input unchanged (buffers round-trip through it)."""

    def process(self, data: Any) -> Any:
        return data


@register_node
class BenchZero(Node):
    """Returns 0 whatever it gets (small items whose cost is the crossing, not the reply)."""

    def process(self, data: Any) -> Any:
        return 0
