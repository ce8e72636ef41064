"""Audio buffering nodes from upstream: AudioChunkerNode, AudioBuffer and AudioBufferAccumulatorNode.

The runtime has no end-of-stream hook (a node only sees items), so audio that
these nodes hold when the stream ends is not emitted: for the chunker and
AudioBuffer that is the last partial chunk, for the accumulator an utterance
whose ``is_speech_end`` event never came.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..data import Audio, _is_positive_int
from ..node import Node
from ..registry import register_node
from .params import camel_case_params

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["AudioBuffer", "AudioBufferAccumulatorNode", "AudioChunkerNode"]


def _count(node: str, field: str, value: Any) -> int:
    if not _is_positive_int(value):
        raise ValueError(f"{node}: {field} must be a positive integer, got {value!r}")
    return int(value)


class _FixedBlocks(Node):
    """Re-blocks a stream of :class:`Audio` into blocks of one fixed size.

    Input is appended to a buffer; every full block is emitted, the rest waits
    for the next input. When the sample rate or channel count changes, what is
    buffered is emitted as a shorter block first.
    """

    _per_channel: bool  # the size counts frames (True) or interleaved samples (False)

    def __init__(self, size: int, name: str | None, config: dict[str, Any]) -> None:
        super().__init__(name=name, **config)
        self.size = size
        self._pending: list[npt.NDArray[np.float32]] = []
        self._pending_samples = 0
        self._format: tuple[int, int] | None = None

    def _block_samples(self, channels: int) -> int:
        if not self._per_channel:
            if self.size % channels:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: {self.size} samples do not split "
                    f"into whole frames of {channels}-channel audio"
                )
            return self.size
        return self.size * channels

    def process(self, data: Any) -> Iterator[Audio]:
        import numpy as np

        if not isinstance(data, Audio):
            raise TypeError(
                f"{type(self).__name__} {self.name!r} expects Audio, got {type(data).__name__}"
            )
        block = self._block_samples(data.channels)
        audio_format = (data.sample_rate, data.channels)
        if self._format is not None and self._format != audio_format and self._pending_samples:
            yield Audio(np.concatenate(self._pending), *self._format)
            self._pending, self._pending_samples = [], 0
        self._format = audio_format
        self._pending.append(data.samples)
        self._pending_samples += data.samples.size
        if self._pending_samples < block:
            return
        buffered = np.concatenate(self._pending)
        whole = (buffered.size // block) * block
        for start in range(0, whole, block):
            yield Audio(buffered[start : start + block], *audio_format)
        rest = buffered[whole:]
        self._pending = [rest] if rest.size else []
        self._pending_samples = int(rest.size)


@register_node(aliases=("AudioChunker",))
@camel_case_params
class AudioChunkerNode(_FixedBlocks):
    """Upstream's ``AudioChunkerNode``: splits audio into chunks of ``chunk_size`` samples.

    ``chunk_size`` (camelCase ``chunkSize``; default 512, the Silero VAD window
    at 16 kHz) counts interleaved samples, as upstream does: for stereo it must
    be even and a chunk holds ``chunk_size / 2`` frames. Each input yields the
    chunks it completes (zero or more); the remainder waits for more audio.
    """

    _per_channel = False

    def __init__(self, *, chunk_size: int = 512, name: str | None = None) -> None:
        size = _count("AudioChunkerNode", "chunk_size", chunk_size)
        super().__init__(size, name, {"chunk_size": size})


@register_node
@camel_case_params
class AudioBuffer(_FixedBlocks):
    """Upstream's ``AudioBuffer``: emits blocks of exactly ``buffer_size_samples`` frames.

    ``buffer_size_samples`` counts samples per channel (frames). Also
    registered as ``AudioBufferNode``.
    """

    _per_channel = True

    def __init__(self, *, buffer_size_samples: int, name: str | None = None) -> None:
        size = _count("AudioBuffer", "buffer_size_samples", buffer_size_samples)
        super().__init__(size, name, {"buffer_size_samples": size})


_PRE_ROLL_CHUNKS = 20
_PRE_ROLL_MAX_AGE_S = 0.5
_MIN_PEAK = 0.02


@register_node
@camel_case_params
class AudioBufferAccumulatorNode(Node):
    """Upstream's ``AudioBufferAccumulatorNode``: turns audio plus VAD events into utterances.

    Inputs are :class:`Audio` chunks and VAD event dicts (as
    :class:`~remotemedia.nodes.vad.SileroVADNode` emits them). Before speech,
    audio chunks wait in a pre-roll of at most 20 chunks no older than 0.5 s.
    ``is_speech_start`` opens an utterance with that pre-roll; audio then
    accumulates until ``is_speech_end``, which emits the utterance as one
    :class:`Audio` unless it is shorter than ``min_utterance_duration_ms``
    (default 250) or its peak is below 0.02 (silence), which drop it. An
    utterance reaching ``max_utterance_duration_ms`` (default 30000) is emitted
    and accumulation goes on. An utterance holds the audio of one format (the
    last chunk's rate and channels; chunks of another format are left out).
    Other inputs are ignored. camelCase params
    (``minUtteranceDurationMs``) are accepted. Also registered as
    ``AudioBufferAccumulator``.
    """

    def __init__(
        self,
        *,
        min_utterance_duration_ms: int = 250,
        max_utterance_duration_ms: int = 30000,
        name: str | None = None,
    ) -> None:
        label = "AudioBufferAccumulatorNode"
        low = int(min_utterance_duration_ms)
        high = _count(label, "max_utterance_duration_ms", max_utterance_duration_ms)
        if isinstance(min_utterance_duration_ms, bool) or low < 0 or low > high:
            raise ValueError(
                f"{label}: min_utterance_duration_ms must be between 0 and "
                f"max_utterance_duration_ms ({high}), got {min_utterance_duration_ms!r}"
            )
        super().__init__(name=name, min_utterance_duration_ms=low, max_utterance_duration_ms=high)
        self.min_utterance_duration_ms = low
        self.max_utterance_duration_ms = high
        self._speaking = False
        self._utterance: list[Audio] = []
        self._pre_roll: deque[tuple[float, Audio]] = deque(maxlen=_PRE_ROLL_CHUNKS)

    def process(self, data: Any) -> Audio | None:
        if isinstance(data, Audio):
            return self._on_audio(data)
        if isinstance(data, Mapping):
            return self._on_event(data)
        return None

    def _on_audio(self, audio: Audio) -> Audio | None:
        now = time.monotonic()
        if not self._speaking:
            self._pre_roll.append((now, audio))
            self._drop_stale(now)
            return None
        self._utterance.append(audio)
        if _duration_ms(self._utterance) < self.max_utterance_duration_ms:
            return None
        out = self._emit()
        self._speaking = True  # the speaker is still talking: keep accumulating
        return out

    def _on_event(self, event: Mapping[Any, Any]) -> Audio | None:
        if event.get("is_speech_start") is True:
            self._drop_stale(time.monotonic())
            self._speaking = True
            self._utterance = [audio for _, audio in self._pre_roll]
            self._pre_roll.clear()
            return None
        if event.get("is_speech_end") is True:
            self._pre_roll.clear()
            return self._emit() if self._speaking else None
        return None

    def _drop_stale(self, now: float) -> None:
        while self._pre_roll and now - self._pre_roll[0][0] > _PRE_ROLL_MAX_AGE_S:
            self._pre_roll.popleft()

    def _emit(self) -> Audio | None:
        import numpy as np

        chunks, self._utterance, self._speaking = self._utterance, [], False
        if not chunks or _duration_ms(chunks) < self.min_utterance_duration_ms:
            return None
        last = chunks[-1]
        same = [
            c for c in chunks if (c.sample_rate, c.channels) == (last.sample_rate, last.channels)
        ]
        samples = np.concatenate([c.samples for c in same])
        if float(np.max(np.abs(samples), initial=0.0)) < _MIN_PEAK:
            return None
        return Audio(samples, last.sample_rate, last.channels)


def _duration_ms(chunks: list[Audio]) -> float:
    return sum(chunk.duration for chunk in chunks) * 1000.0
