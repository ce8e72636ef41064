"""Audio: validation and derived properties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remotemedia import Audio


def test_frames_duration_and_planar_view() -> None:
    audio = Audio(np.arange(8, dtype=np.float32), sample_rate=4, channels=2)
    assert audio.frames == 4
    assert audio.duration == 1.0
    np.testing.assert_array_equal(audio.planar(), [[0, 2, 4, 6], [1, 3, 5, 7]])
    assert np.shares_memory(audio.planar(), audio.samples)


def test_float64_and_lists_are_coerced_to_contiguous_float32() -> None:
    audio = Audio(np.linspace(-1, 1, 6)[::2], sample_rate=8000)
    assert audio.samples.dtype == np.float32
    assert audio.samples.flags.c_contiguous
    assert Audio([0.0, 0.5], sample_rate=8000).samples.dtype == np.float32  # type: ignore[arg-type]


def test_float32_input_is_not_copied() -> None:
    samples = np.zeros(4, dtype=np.float32)
    assert Audio(samples, 8000).samples is samples


@pytest.mark.parametrize(
    ("samples", "kwargs", "error", "message"),
    [
        (np.zeros(4, dtype=np.int16), {}, TypeError, "must be floating point"),
        (np.zeros(4, dtype=bool), {}, TypeError, "must be floating point"),
        (np.zeros((2, 2), dtype=np.float32), {}, ValueError, "1-D interleaved"),
        (
            np.zeros(5, dtype=np.float32),
            {"channels": 2},
            ValueError,
            "5 samples, not a multiple of its 2 channels",
        ),
        (
            np.zeros(4, dtype=np.float32),
            {"channels": 0},
            ValueError,
            "channels must be a positive integer",
        ),
        (
            np.zeros(4, dtype=np.float32),
            {"sample_rate": 0},
            ValueError,
            "sample_rate must be a positive integer",
        ),
        (
            np.zeros(4, dtype=np.float32),
            {"sample_rate": 44100.0},
            ValueError,
            "sample_rate must be a positive integer",
        ),
    ],
)
def test_invalid_audio_is_rejected(
    samples: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments = {"sample_rate": 8000, "channels": 1, **kwargs}
    with pytest.raises(error, match=message):
        Audio(samples, **arguments)
