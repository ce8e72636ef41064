"""Typed media values passed between nodes (numpy arrays, bytes and JSON-like values pass as is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Audio"]


def _positive_int(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Audio {field} must be a positive integer, got {value!r}")
    return int(value)


@dataclass(eq=False)
class Audio:
    """A block of PCM audio.

    ``samples`` is a 1-D, C-contiguous float32 array of interleaved frames
    (``[L0, R0, L1, R1, ...]`` for stereo), nominally in [-1, 1]; its length is
    ``frames * channels``. Floating-point input of another precision is
    converted to float32; integer, boolean, complex and object arrays are
    rejected (scale integer PCM yourself, e.g. ``int16 / 32768``).
    """

    samples: npt.NDArray[np.float32]
    sample_rate: int
    channels: int = 1

    def __post_init__(self) -> None:
        array: npt.NDArray[Any] = np.asarray(self.samples)
        if array.dtype.kind != "f":
            raise TypeError(
                f"Audio samples must be floating point (float32), got dtype {array.dtype}; "
                "convert integer PCM first, e.g. samples.astype(np.float32) / 32768"
            )
        if array.ndim != 1:
            raise ValueError(
                f"Audio samples must be a 1-D interleaved array, got shape {array.shape}"
            )
        self.sample_rate = _positive_int("sample_rate", self.sample_rate)
        self.channels = _positive_int("channels", self.channels)
        if array.size % self.channels:
            raise ValueError(
                f"Audio has {array.size} samples, not a multiple of its {self.channels} channels"
            )
        self.samples = np.ascontiguousarray(array, dtype=np.float32)

    @property
    def frames(self) -> int:
        """Number of frames (samples per channel)."""
        return self.samples.size // self.channels

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def planar(self) -> npt.NDArray[np.float32]:
        """The samples as a ``(channels, frames)`` array (a view, not a copy)."""
        return self.samples.reshape(self.frames, self.channels).transpose()
