"""FastResampleNode and AudioResampleNode: frequencies kept (FFT), aliasing removed, seamless streaming."""

from __future__ import annotations

import numpy as np
import pytest

from remotemedia import Audio, create_node
from remotemedia.nodes import AudioResampleNode, FastResampleNode
from remotemedia.nodes.resampler import Resampler, resample


def _tone(hz: float, rate: int, seconds: float = 1.0, channels: int = 1) -> Audio:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.5 * np.sin(2 * np.pi * hz * t)
    planar = np.column_stack([mono * (c + 1) / channels for c in range(channels)])
    return Audio(planar.reshape(-1).astype(np.float32), rate, channels)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


def _stream(node: FastResampleNode | AudioResampleNode, audio: Audio, block: int) -> Audio:
    outs = [
        node.process(
            Audio(audio.samples[i : i + block * audio.channels], audio.sample_rate, audio.channels)
        )
        for i in range(0, audio.samples.size, block * audio.channels)
    ]
    return Audio(np.concatenate([o.samples for o in outs]), outs[0].sample_rate, outs[0].channels)


@pytest.mark.parametrize("quality", ["Low", "Medium", "High"])
@pytest.mark.parametrize(
    ("source", "target", "hz"),
    [(44100, 16000, 1000.0), (16000, 48000, 3000.0), (48000, 44100, 5000.0)],
)
def test_frequency_is_preserved(quality: str, source: int, target: int, hz: float) -> None:
    out = _stream(FastResampleNode(target_rate=target, quality=quality), _tone(hz, source), 1000)
    assert out.sample_rate == target
    assert (
        abs(out.frames - target)
        <= Resampler(source, target, 1, quality.lower()).latency * target / source + 1
    )
    assert abs(_peak_hz(out.samples, target) - hz) <= 1.0
    steady = out.samples[target // 10 : -target // 10]
    # level kept: linear interpolation (Low) droops a little toward Nyquist
    assert abs(np.sqrt(np.mean(steady**2)) - 0.5 / np.sqrt(2)) < (
        0.05 if quality == "Low" else 0.005
    )


def test_sinc_qualities_remove_aliasing_that_linear_keeps() -> None:
    # 12 kHz is above the 8 kHz Nyquist of 16 kHz output: it must be filtered out, not folded to 4 kHz.
    tone = _tone(12000.0, 48000)
    rms = {
        q: float(
            np.sqrt(
                np.mean(
                    FastResampleNode(target_rate=16000, quality=q).process(tone).samples[2000:] ** 2
                )
            )
        )
        for q in ("Low", "Medium", "High")
    }
    assert rms["Low"] > 0.3
    assert rms["Medium"] < 1e-3
    assert rms["High"] < rms["Medium"]


def test_block_boundaries_leave_no_seams() -> None:
    tone = _tone(440.0, 44100, channels=2)
    whole = FastResampleNode(target_rate=16000, quality="High").process(tone)
    pieces = _stream(FastResampleNode(target_rate=16000, quality="High"), tone, 337)
    n = min(whole.samples.size, pieces.samples.size)
    np.testing.assert_allclose(pieces.samples[:n], whole.samples[:n], atol=1e-6)
    assert pieces.channels == 2


def test_one_shot_resample_has_every_frame() -> None:
    planar = _tone(250.0, 8000, seconds=0.5).samples[:, None]
    out = resample(planar, 8000, 22050, "medium")
    assert out.shape == (int(np.ceil(4000 * 22050 / 8000)), 1)
    assert abs(_peak_hz(out[:, 0], 22050) - 250.0) <= 2.0


def test_params_and_pass_through() -> None:
    tone = _tone(440.0, 16000)
    assert FastResampleNode().process(tone) is tone  # no target rate: pass through
    assert FastResampleNode(target_rate="auto", source_rate="auto").process(tone) is tone
    assert FastResampleNode(target_rate=16000).process(tone) is tone
    node = create_node(
        "FastResampleNode", {"targetRate": 8000, "sourceRate": 16000, "quality": "low"}
    )
    assert isinstance(node, FastResampleNode) and node.config["quality"] == "low"
    assert node.process(tone).sample_rate == 8000
    with pytest.raises(ValueError, match="source_rate is 16000 Hz but the audio is 8000 Hz"):
        node.process(_tone(440.0, 8000))
    with pytest.raises(ValueError, match="channels is 2 but the audio has 1"):
        FastResampleNode(target_rate=8000, channels=2).process(tone)
    with pytest.raises(ValueError, match="quality must be one of Low, Medium, High"):
        FastResampleNode(target_rate=8000, quality="best")
    with pytest.raises(ValueError, match="positive integer or 'auto'"):
        FastResampleNode(target_rate=-5)
    assert FastResampleNode(target_rate=8000).process([0.0]) == [0.0]  # non-audio passes on


def test_audio_resample_node_upstream_params() -> None:
    node = create_node("AudioResample", {"target_sample_rate": 48000, "quality": "high"})
    assert isinstance(node, AudioResampleNode) and node.target_rate == 48000
    out = node.process(_tone(1000.0, 16000))
    assert out.sample_rate == 48000 and abs(_peak_hz(out.samples, 48000) - 1000.0) <= 1.0
    assert AudioResampleNode().target_rate == 16000
    with pytest.raises(ValueError, match="runtime_hint must be"):
        AudioResampleNode(runtime_hint="gpu")


def test_format_change_restarts_the_filter() -> None:
    node = FastResampleNode(target_rate=16000)
    node.process(_tone(440.0, 48000, seconds=0.1))
    out = node.process(_tone(440.0, 8000, seconds=0.5, channels=2))
    assert (out.sample_rate, out.channels) == (16000, 2)
    assert abs(_peak_hz(out.planar()[0], 16000) - 440.0) <= 2.5
