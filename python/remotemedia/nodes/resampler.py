"""Resampler: streaming windowed-sinc (or linear) sample-rate conversion in numpy, with quality levels."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["QUALITIES", "Resampler", "quality_key", "resample"]

_MAX_TABLE_PHASES = 4096

QUALITIES: dict[str, tuple[int, float, float]] = {
    "low": (0, 0.0, 1.0),
    "medium": (16, 6.0, 0.90),
    "high": (48, 9.0, 0.95),
}
"""Quality name -> (zero crossings each side, Kaiser beta, passband fraction of Nyquist).

``low`` is linear interpolation between neighbouring samples (no anti-aliasing
filter); ``medium`` and ``high`` are Kaiser-windowed sinc filters whose cutoff
sits at that fraction of the lower Nyquist frequency.
"""


def quality_key(node: str, quality: Any) -> str:
    """The :data:`QUALITIES` key for a quality name in any case (``"High"``, ``"high"``)."""
    key = quality.lower() if isinstance(quality, str) else None
    if key not in QUALITIES:
        raise ValueError(f"{node}: quality must be one of Low, Medium, High; got {quality!r}")
    return key


class Resampler:
    """Converts a stream of ``(frames, channels)`` float blocks from one rate to another.

    State (the last input samples and the exact rational position of the next
    output sample) is carried across :meth:`process` calls, so splitting the
    input into blocks does not change the output. The filter looks
    ``latency`` input frames ahead: those last frames come out only when
    :meth:`flush` pads the stream with silence.
    """

    def __init__(self, source_rate: int, target_rate: int, channels: int, quality: str) -> None:
        import numpy as np

        divisor = math.gcd(source_rate, target_rate)
        self.source_rate, self.target_rate, self.channels = source_rate, target_rate, channels
        self._up, self._down = target_rate // divisor, source_rate // divisor
        crossings, self._beta, passband = QUALITIES[quality]
        self._cutoff = min(1.0, target_rate / source_rate) * passband
        self.latency = 1 if crossings == 0 else math.ceil(crossings / self._cutoff)
        self._linear = crossings == 0
        self._offsets = np.arange(-self.latency + 1, self.latency + 1)
        self._history = np.zeros((self.latency, channels))
        self._history_start = -self.latency  # absolute input index of _history[0]
        self._next_output = 0
        # One row of weights per output phase (position % up) when there are few phases.
        self._table = (
            self._weights(np.arange(self._up)[:, None] / self._up - self._offsets[None, :])
            if self._up <= _MAX_TABLE_PHASES
            else None
        )

    def _weights(self, distance: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        import numpy as np

        if self._linear:
            return np.maximum(0.0, 1.0 - np.abs(distance))
        ratio = np.clip(distance / self.latency, -1.0, 1.0)
        window = np.i0(self._beta * np.sqrt(1.0 - ratio * ratio)) / np.i0(self._beta)
        weights = self._cutoff * np.sinc(self._cutoff * distance) * window
        weights /= weights.sum(axis=1, keepdims=True)  # unit gain at DC
        return weights

    def process(self, block: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Resample a ``(frames, channels)`` block; returns the output frames now computable."""
        import numpy as np

        buffer = np.concatenate([self._history, np.asarray(block, dtype=np.float64)])
        end = self._history_start + len(buffer)
        # Output k reads input up to floor(k * down / up) + latency, which must be < end.
        last = -(-((end - self.latency) * self._up) // self._down) - 1
        count = max(0, last - self._next_output + 1)
        k = np.arange(self._next_output, self._next_output + count, dtype=np.int64)
        position = k * self._down
        base, fraction = position // self._up, (position % self._up) / self._up
        index = base[:, None] + self._offsets[None, :] - self._history_start
        weights = (
            self._table[position % self._up]
            if self._table is not None
            else self._weights(fraction[:, None] - self._offsets[None, :])
        )
        out: npt.NDArray[np.float32] = np.einsum("kt,ktc->kc", weights, buffer[index]).astype(
            np.float32
        )
        self._next_output += count
        keep_from = (self._next_output * self._down) // self._up - self.latency + 1
        drop = max(0, min(keep_from - self._history_start, len(buffer)))
        self._history = buffer[drop:]
        self._history_start += drop
        return out

    def flush(self) -> npt.NDArray[np.float32]:
        """Pad the stream with ``latency`` frames of silence and return the last output frames."""
        import numpy as np

        return self.process(np.zeros((self.latency, self.channels)))


def resample(
    planar: npt.NDArray[Any], source_rate: int, target_rate: int, quality: str
) -> npt.NDArray[np.float32]:
    """Resample a whole ``(frames, channels)`` block: ``ceil(frames * target / source)`` frames."""
    import numpy as np

    resampler = Resampler(source_rate, target_rate, planar.shape[1], quality)
    return np.concatenate([resampler.process(planar), resampler.flush()])
