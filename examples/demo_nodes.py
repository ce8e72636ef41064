"""Python nodes for the README demo: a stateful level meter whose state the TypeScript caller reads afterwards."""

from __future__ import annotations

import math
from typing import Any

from remotemedia import Audio, Node


class LevelMeter(Node):
    """Measures each Audio chunk (RMS and peak in dBFS) and keeps running totals across chunks.

    Stands in for a node holding a loaded model: its state lives in the object, which the
    in-process transport runs as is, so the caller can read ``chunks`` and ``loudest_dbfs`` after the run.
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.chunks = 0
        self.loudest_dbfs = -math.inf

    def process(self, audio: Audio) -> dict[str, float]:
        samples = audio.samples
        rms = float(math.sqrt(float((samples * samples).mean())))
        peak = float(abs(samples).max())
        self.chunks += 1
        self.loudest_dbfs = max(self.loudest_dbfs, _dbfs(peak))
        return {"chunk": self.chunks, "rms_dbfs": round(_dbfs(rms), 2), "peak_dbfs": round(_dbfs(peak), 2)}


def _dbfs(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -math.inf
