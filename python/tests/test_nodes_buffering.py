"""AudioChunkerNode, AudioBuffer and AudioBufferAccumulatorNode on generated audio."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remotemedia import Audio, create_node
from remotemedia.nodes import AudioBuffer, AudioBufferAccumulatorNode, AudioChunkerNode


def _ramp(n: int, rate: int = 16000, channels: int = 1, start: int = 0) -> Audio:
    return Audio((np.arange(start, start + n, dtype=np.float32) / 100000.0), rate, channels)


def _all(node: Any, inputs: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in inputs:
        result = node.process(item)
        if result is not None:
            out.extend(result if not isinstance(result, Audio) else [result])
    return out


def test_chunker_rechunks_a_stream_without_losing_order() -> None:
    sizes = [100, 700, 1, 300, 2000]
    starts = np.cumsum([0, *sizes[:-1]])
    chunks = _all(AudioChunkerNode(), [_ramp(n, start=s) for n, s in zip(sizes, starts)])
    assert [c.frames for c in chunks] == [512] * (sum(sizes) // 512)
    joined = np.concatenate([c.samples for c in chunks])
    np.testing.assert_array_equal(joined, np.arange(joined.size, dtype=np.float32) / 100000.0)


def test_chunker_counts_interleaved_samples_like_upstream() -> None:
    chunks = _all(create_node("AudioChunkerNode", {"chunkSize": 480}), [_ramp(2000, channels=2)])
    assert [(c.frames, c.channels) for c in chunks] == [(240, 2)] * 4
    with pytest.raises(ValueError, match="do not split into whole frames"):
        list(AudioChunkerNode(chunk_size=5).process(_ramp(10, channels=2)))
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        AudioChunkerNode(chunk_size=0)


def test_format_change_flushes_the_partial_chunk() -> None:
    node = AudioChunkerNode(chunk_size=512)
    assert _all(node, [_ramp(300)]) == []
    out = _all(node, [_ramp(600, rate=8000)])
    assert [(c.frames, c.sample_rate) for c in out] == [(300, 16000), (512, 8000)]


def test_audio_buffer_counts_frames() -> None:
    chunks = _all(
        AudioBuffer(buffer_size_samples=1000), [_ramp(1500, channels=2), _ramp(1500, channels=2)]
    )
    assert [(c.frames, c.channels) for c in chunks] == [(1000, 2)]
    assert create_node("AudioBufferNode", {"bufferSizeSamples": 4}).config == {
        "buffer_size_samples": 4
    }


def _tone(ms: int, rate: int = 16000, amplitude: float = 0.5) -> Audio:
    t = np.arange(rate * ms // 1000) / rate
    return Audio((amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


START, END = (
    {"is_speech_start": True, "is_speech_end": False},
    {"is_speech_start": False, "is_speech_end": True},
)


def test_accumulator_emits_pre_roll_and_speech_at_speech_end() -> None:
    node = AudioBufferAccumulatorNode()
    pre = [_tone(32) for _ in range(25)]  # only the last 20 chunks are kept as pre-roll
    speech = [_tone(32, amplitude=0.9) for _ in range(20)]
    assert _all(node, [*pre, START, *speech]) == []
    (utterance,) = _all(node, [END])
    assert utterance.frames == 40 * 512
    np.testing.assert_array_equal(
        utterance.samples[-20 * 512 :], np.concatenate([s.samples for s in speech])
    )
    assert _all(node, [END]) == []  # nothing is open any more


def test_accumulator_drops_short_and_silent_utterances() -> None:
    node = create_node(
        "AudioBufferAccumulator", {"minUtteranceDurationMs": 500, "maxUtteranceDurationMs": 30000}
    )
    assert _all(node, [START, _tone(300), END]) == []  # 300 ms < 500 ms
    assert _all(node, [START, _tone(800, amplitude=0.01), END]) == []  # peak below 0.02
    assert _all(node, [START, _tone(800), {"has_speech": True}, "ignored", END])[0].frames == 12800


def test_accumulator_splits_at_the_maximum_and_keeps_going() -> None:
    node = AudioBufferAccumulatorNode(min_utterance_duration_ms=0, max_utterance_duration_ms=1000)
    out = _all(node, [START, *[_tone(250) for _ in range(6)], END])
    assert [round(u.duration, 3) for u in out] == [1.0, 0.5]


def test_accumulator_validation() -> None:
    with pytest.raises(ValueError, match="min_utterance_duration_ms must be between 0"):
        AudioBufferAccumulatorNode(min_utterance_duration_ms=5000, max_utterance_duration_ms=1000)
