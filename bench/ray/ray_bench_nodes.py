"""Nodes of the transport-ray benchmark (bench/ray/run.mjs): a fixed CPU-heavy NumPy workload per item."""

from __future__ import annotations

from typing import Any

import numpy as np
from remotemedia import Node, register_node


@register_node
class BenchMatmul(Node):
    """Per item: ``reps`` products of a ``size`` x ``size`` float64 matrix (NumPy matmul, the GIL released),
    the same work whatever the item; returns a small float (the item plus a checksum), so the cost is the
    work, not the transfer. Stateless: replicas may share a batch."""

    stateless = True

    def __init__(self, size: int = 256, reps: int = 30, **config: Any) -> None:
        super().__init__(**config)
        self.size = int(size)
        self.reps = int(reps)
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((self.size, self.size))
        self.b = rng.standard_normal((self.size, self.size)) / np.sqrt(self.size)

    def process(self, data: Any) -> Any:
        m = self.a
        for _ in range(self.reps):
            m = m @ self.b
        return float(data) + float(np.tanh(m[0, 0]))
