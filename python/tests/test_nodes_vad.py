"""SileroVADNode (the ONNX model of the silero-vad wheel, run by onnxruntime) on synthesized vowels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remotemedia import Audio, create_node
from remotemedia.nodes import (
    AudioBufferAccumulatorNode,
    AudioChunkerNode,
    ResampleNode,
    SileroVADNode,
)

_VOWELS = [((700, 80), (1220, 90), (2600, 120)), ((300, 60), (2300, 100), (3000, 120)),
           ((500, 70), (900, 80), (2500, 120)), ((400, 60), (2000, 90), (2550, 120))]  # fmt: skip


def _syllable(
    rate: int, seconds: float, f0: float, formants: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """A voiced syllable: a glottal pulse train through three formant resonators, faded in and out."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    phase = np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t)) / rate)
    signal = np.diff(np.floor(phase), prepend=0.0) + 0.02 * np.random.default_rng(0).normal(size=n)
    for frequency, bandwidth in formants:
        r = np.exp(-np.pi * bandwidth / rate)
        a1, a2 = -2 * r * np.cos(2 * np.pi * frequency / rate), r * r
        out = np.zeros(n + 2)
        for i in range(n):
            out[i + 2] = signal[i] - a1 * out[i + 1] - a2 * out[i]
        signal = out[2:]
    signal *= 0.5 * (1 - np.cos(2 * np.pi * t / seconds))
    return signal / np.abs(signal).max() * 0.5


def _speech(rate: int, seconds: float = 2.0) -> np.ndarray:
    count = int(seconds / 0.25)
    return np.concatenate(
        [_syllable(rate, 0.25, 110 + 10 * i, _VOWELS[i % 4]) for i in range(count)]
    )


def _utterance(rate: int) -> Audio:
    """1 s silence, 2 s of speech, 1 s silence."""
    silence = np.zeros(rate)
    return Audio(np.concatenate([silence, _speech(rate), silence]).astype(np.float32), rate)


def _run(nodes: list[Any], audio: Audio, block: int) -> list[Any]:
    items: list[Any] = [
        Audio(audio.samples[i : i + block * audio.channels], audio.sample_rate, audio.channels)
        for i in range(0, audio.samples.size, block * audio.channels)
    ]
    for node in nodes:
        out: list[Any] = []
        for item in items:
            result = node.process(item)
            if result is None:
                continue
            out.extend(result if not isinstance(result, (Audio, dict)) else [result])
        items = out
    return items


def _events(items: list[Any]) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)]


@pytest.fixture
def vad() -> SileroVADNode:
    node = SileroVADNode(min_silence_duration_ms=300)
    node.initialize()
    return node


def test_detects_the_speech_between_silences(vad: SileroVADNode) -> None:
    events = _events(_run([AudioChunkerNode(chunk_size=512), vad], _utterance(16000), 1600))
    assert len(events) == 4 * 16000 // 512
    starts = [e["timestamp_ms"] for e in events if e["is_speech_start"]]
    ends = [e["timestamp_ms"] for e in events if e["is_speech_end"]]
    assert len(starts) == 1 and 1000 <= starts[0] <= 1200
    assert len(ends) == 1 and 3000 + 300 <= ends[0] <= 3000 + 300 + 400
    inside = [e["speech_probability"] for e in events if 1300 <= e["timestamp_ms"] <= 2900]
    outside = [e["speech_probability"] for e in events if e["timestamp_ms"] <= 900]
    assert min(inside) > 0.5 and max(outside) < 0.1
    assert set(events[0]) == {
        "has_speech",
        "speech_probability",
        "is_speech_start",
        "is_speech_end",
        "timestamp_ms",
    }


def test_yields_events_then_the_input_audio(vad: SileroVADNode) -> None:
    chunk = Audio(np.zeros(1024, dtype=np.float32), 16000)
    out = list(vad.process(chunk))
    assert [type(o).__name__ for o in out] == ["dict", "dict", "Audio"] and out[-1] is chunk
    assert list(vad.process({"text": "not audio"})) == [{"text": "not audio"}]


def test_state_carries_across_inputs_of_any_size(vad: SileroVADNode) -> None:
    audio = _utterance(16000)
    other = SileroVADNode(min_silence_duration_ms=300)
    by_window = [e["speech_probability"] for e in _events(_run([vad], audio, 512))]
    by_odd_blocks = [e["speech_probability"] for e in _events(_run([other], audio, 333))]
    np.testing.assert_allclose(by_odd_blocks, by_window, atol=1e-5)  # other loads its model lazily


def test_a_steady_tone_is_not_speech(vad: SileroVADNode) -> None:
    t = np.arange(3 * 16000) / 16000
    tone = Audio((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 16000)
    assert not any(e["is_speech_start"] for e in _events(_run([vad], tone, 512)))


def test_converts_rate_and_channels_and_runs_at_8k() -> None:
    stereo48k = _utterance(48000)
    stereo = Audio(np.repeat(stereo48k.samples, 2), 48000, 2)
    events = _events(_run([SileroVADNode(minSilenceDurationMs=300)], stereo, 4800))
    assert sum(e["is_speech_start"] for e in events) == 1
    narrow = _events(
        _run(
            [SileroVADNode(sampling_rate=8000, min_silence_duration_ms=300)], _utterance(8000), 256
        )
    )
    assert len(narrow) == 4 * 8000 // 256
    starts = [e["timestamp_ms"] for e in narrow if e["is_speech_start"]]
    assert len(starts) == 1 and 1000 <= starts[0] <= 1200


def test_chunker_vad_accumulator_pipeline_yields_the_utterance() -> None:
    nodes = [
        ResampleNode(target_rate=16000),
        AudioChunkerNode(chunk_size=512),
        SileroVADNode(min_silence_duration_ms=300),
        AudioBufferAccumulatorNode(min_utterance_duration_ms=500),
    ]
    utterances = [i for i in _run(nodes, _utterance(16000), 4000) if isinstance(i, Audio)]
    assert len(utterances) == 1
    # 2 s of speech, up to 20 chunks (0.64 s) of pre-roll and the 0.3 s of silence before the end event
    assert 2.0 <= utterances[0].duration <= 2.0 + 0.64 + 0.4
    assert float(np.abs(utterances[0].samples).max()) > 0.4


def test_manifest_names_and_validation() -> None:
    node = create_node(
        "SileroVAD",
        {"threshold": 0.6, "samplingRate": 8000, "minSpeechDurationMs": 250, "speechPadMs": 30},
    )
    assert isinstance(node, SileroVADNode) and (node.threshold, node.sampling_rate) == (0.6, 8000)
    with pytest.raises(ValueError, match="sampling_rate must be 8000 or 16000"):
        SileroVADNode(sampling_rate=44100)
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\]"):
        SileroVADNode(threshold=1.5)
    with pytest.raises(TypeError, match="both 'samplingRate' and 'sampling_rate'"):
        SileroVADNode(samplingRate=8000, sampling_rate=8000)
