"""AudioGainNode, ChannelMixNode and ResampleNode, checked numerically."""

from __future__ import annotations

import numpy as np
import pytest

from remotemedia import Audio
from remotemedia.nodes import AudioGainNode, ChannelMixNode, ResampleNode


def _audio(samples: list[float], rate: int = 8000, channels: int = 1) -> Audio:
    return Audio(np.array(samples, dtype=np.float32), rate, channels)


def test_gain_scales_by_db() -> None:
    out = AudioGainNode(gain_db=-20.0).process(_audio([0.5, -1.0, 0.25]))
    np.testing.assert_allclose(out.samples, [0.05, -0.1, 0.025], rtol=1e-6)
    doubled = AudioGainNode(gain_db=20 * np.log10(2.0)).process(_audio([0.25, -0.125]))
    np.testing.assert_allclose(doubled.samples, [0.5, -0.25], rtol=1e-6)
    assert out.samples.dtype == np.float32


def test_gain_clips_unless_disabled() -> None:
    loud = _audio([0.5, -0.75, 0.1], channels=1)
    np.testing.assert_allclose(AudioGainNode(gain_db=12.0).process(loud).samples[:2], [1.0, -1.0])
    unclipped = AudioGainNode(gain_db=12.0, clip=False).process(loud).samples
    np.testing.assert_allclose(unclipped, np.array([0.5, -0.75, 0.1]) * 10 ** (12 / 20), rtol=1e-6)


def test_gain_keeps_format_and_input() -> None:
    source = _audio([0.1, 0.2, 0.3, 0.4], rate=16000, channels=2)
    out = AudioGainNode(gain_db=6.0).process(source)
    assert (out.sample_rate, out.channels, out.frames) == (16000, 2, 2)
    np.testing.assert_array_equal(source.samples, np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32))


def test_gain_validation() -> None:
    with pytest.raises(ValueError, match="finite number"):
        AudioGainNode(gain_db=float("inf"))
    with pytest.raises(TypeError, match="expects Audio, got list"):
        AudioGainNode(gain_db=0.0).process([0.1])


def test_downmix_averages_each_frame() -> None:
    stereo = _audio([1.0, 0.0, 0.5, -0.5, -1.0, -0.5], channels=2)
    mono = ChannelMixNode(target_channels=1).process(stereo)
    assert (mono.channels, mono.frames) == (1, 3)
    np.testing.assert_allclose(mono.samples, [0.5, 0.0, -0.75])


def test_upmix_duplicates_mono() -> None:
    out = ChannelMixNode(target_channels=2).process(_audio([0.1, 0.2]))
    assert out.channels == 2
    np.testing.assert_array_equal(out.samples, np.array([0.1, 0.1, 0.2, 0.2], dtype=np.float32))


def test_channel_mix_passthrough_and_unsupported() -> None:
    stereo = _audio([0.1, 0.2], channels=2)
    assert ChannelMixNode(target_channels=2).process(stereo) is stereo
    with pytest.raises(ValueError, match="3 -> 2 channels"):
        ChannelMixNode(target_channels=2).process(_audio([0.0] * 6, channels=3))
    with pytest.raises(ValueError, match="target_channels must be a positive integer"):
        ChannelMixNode(target_channels=0)


def test_upsample_interpolates_linearly() -> None:
    out = ResampleNode(target_rate=16000).process(_audio([0.0, 1.0, 2.0, 3.0]))
    assert (out.sample_rate, out.frames) == (16000, 8)
    np.testing.assert_allclose(out.samples, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0])


def test_downsample_picks_positions_per_channel() -> None:
    left = np.arange(8, dtype=np.float32)
    stereo = Audio(np.column_stack([left, -left]).reshape(-1), 16000, 2)
    out = ResampleNode(target_rate=8000).process(stereo)
    assert (out.sample_rate, out.channels, out.frames) == (8000, 2, 4)
    np.testing.assert_allclose(out.planar(), [[0, 2, 4, 6], [0, -2, -4, -6]])


def test_resample_frame_count_rounds_and_edge_cases() -> None:
    out = ResampleNode(target_rate=44100).process(_audio([0.0] * 480, rate=48000))
    assert out.frames == 441
    same = _audio([0.1], rate=8000)
    assert ResampleNode(target_rate=8000).process(same) is same
    empty = ResampleNode(target_rate=16000).process(_audio([], rate=8000))
    assert (empty.frames, empty.sample_rate) == (0, 16000)
    with pytest.raises(ValueError, match="target_rate must be a positive integer"):
        ResampleNode(target_rate=-1)
