"""AudioTransform: upstream's resample-and-remix node, checked with an FFT."""

from __future__ import annotations

import numpy as np
import pytest

from remotemedia import Audio, create_node
from remotemedia.nodes import AudioTransform


def _tone(hz: float, rate: int, channels: int = 1) -> Audio:
    t = np.arange(rate // 2) / rate
    mono = 0.5 * np.sin(2 * np.pi * hz * t)
    return Audio(np.repeat(mono, channels).astype(np.float32), rate, channels)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


def test_defaults_make_44k1_stereo_keeping_the_tone() -> None:
    out = AudioTransform().process(_tone(1000.0, 16000))
    assert (out.sample_rate, out.channels, out.frames) == (44100, 2, 22050)
    left, right = out.planar()
    np.testing.assert_array_equal(left, right)
    assert abs(_peak_hz(left, 44100) - 1000.0) <= 2.0
    assert abs(float(np.abs(left[2000:-2000]).max()) - 0.5) < 0.01


def test_downmix_and_first_channels() -> None:
    stereo = Audio(np.array([0.2, 0.4, -0.2, 0.0], dtype=np.float32), 8000, 2)
    mono = create_node("AudioTransform", {"outputSampleRate": 8000, "outputChannels": 1}).process(
        stereo
    )
    np.testing.assert_allclose(mono.samples, [0.3, -0.1])
    six = Audio(np.arange(12, dtype=np.float32) / 12, 8000, 6)
    first_two = AudioTransform(output_sample_rate=8000, output_channels=2).process(six)
    np.testing.assert_allclose(first_two.planar(), six.planar()[:2])
    with pytest.raises(ValueError, match="cannot make 6 channels from 2"):
        AudioTransform(output_sample_rate=8000, output_channels=6).process(stereo)


def test_downsampling_filters_what_cannot_be_kept() -> None:
    out = AudioTransform(output_sample_rate=16000, output_channels=1).process(_tone(11000.0, 48000))
    assert float(np.sqrt(np.mean(out.samples[500:-500] ** 2))) < 1e-3
