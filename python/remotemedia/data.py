"""Typed media values passed between nodes (numpy arrays, bytes and JSON-like values pass as is)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["PIXEL_FORMATS", "Audio", "VideoFrame"]


def _is_positive_int(value: object) -> bool:
    """An int (not a bool) or a numpy integer, above zero; does not import numpy."""
    if isinstance(value, int):
        return not isinstance(value, bool) and value > 0
    if "numpy" in sys.modules:  # no numpy integer exists unless numpy was imported
        import numpy as np

        return isinstance(value, np.integer) and bool(value > 0)
    return False


def _positive_int(field: str, value: Any) -> int:
    if not _is_positive_int(value):
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
        import numpy as np

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


def _ceil_half(n: int) -> int:
    return (n + 1) // 2


PIXEL_FORMATS: dict[str, Callable[[int, int], int]] = {
    "rgb24": lambda w, h: w * h * 3,
    "bgr24": lambda w, h: w * h * 3,
    "rgba": lambda w, h: w * h * 4,
    "bgra": lambda w, h: w * h * 4,
    "gray8": lambda w, h: w * h,
    "yuv420p": lambda w, h: w * h + 2 * _ceil_half(w) * _ceil_half(h),
}
"""Pixel formats a :class:`VideoFrame` may carry, with the bytes one frame needs.

The same table as the TypeScript ``PixelFormats``: planar YUV 4:2:0 rounds its
half-size chroma planes up, as ffmpeg does.
"""


@dataclass(eq=False)
class VideoFrame:
    """One video frame: packed pixel bytes, width, height and pixel format.

    ``data`` must hold exactly the bytes ``format`` needs at ``width`` x
    ``height`` (see :data:`PIXEL_FORMATS`); a bytearray or memoryview is
    copied into ``bytes``. Crosses to TypeScript as ``VideoFrame``.
    """

    data: bytes
    width: int
    height: int
    format: str = "rgb24"

    def __post_init__(self) -> None:
        if not (_is_positive_int(self.width) and _is_positive_int(self.height)):
            raise ValueError(
                f"VideoFrame size must be positive integers, got {self.width!r}x{self.height!r}"
            )
        self.width, self.height = int(self.width), int(self.height)
        size = PIXEL_FORMATS.get(self.format) if isinstance(self.format, str) else None
        if size is None:
            raise ValueError(
                f"Unknown pixel format {self.format!r}; expected one of {', '.join(PIXEL_FORMATS)}"
            )
        data: object = self.data
        if not isinstance(data, bytes):
            if not isinstance(data, (bytearray, memoryview)):
                raise TypeError(f"VideoFrame data must be bytes, got {type(data).__name__}")
            self.data = bytes(data)
        expected = size(self.width, self.height)
        if len(self.data) != expected:
            raise ValueError(
                f"VideoFrame {self.width}x{self.height} {self.format} needs {expected} bytes, "
                f"got {len(self.data)}"
            )

    def __repr__(self) -> str:
        return f"VideoFrame({self.width}x{self.height} {self.format}, {len(self.data)} bytes)"
