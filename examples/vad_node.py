"""The examples' real model: Silero VAD (ONNX, from the silero-vad wheel) run by onnxruntime in a stateful Node.

``initialize()`` loads the network into an ``onnxruntime.InferenceSession`` — an object that cannot
be pickled — and ``cleanup()`` releases it. That pair is what lets the node cross into a worker
process (transports ipc and iceoryx): the transport calls ``cleanup()``, pickles the node,
and the worker calls ``initialize()``, which loads the model again there. Each load is counted
and where it happened kept, so the examples can print where the model ran.

Needs the media extra and the model wheel (installed by the README's setup): ``pip install
'remotemedia[media]' && pip install --no-deps silero-vad``.
"""

from __future__ import annotations

import asyncio
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from remotemedia import Audio, Node
from remotemedia.nodes.vad import silero_model_path

from example_nodes import where

SAMPLE_RATE = 16_000
WINDOW = 512  # the network's input at 16 kHz: 32 ms
CONTEXT = 64  # samples of the previous window it sees as well
CLIP = Path(__file__).with_name("speech_clip.wav")

Samples = npt.NDArray[np.float32]


def read_clip(path: Path = CLIP) -> Samples:
    """The committed speech clip (16 kHz mono 16-bit WAV) as float32 samples in [-1, 1)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (
            SAMPLE_RATE,
            1,
            2,
        ):
            raise ValueError(f"{path.name}: expected 16 kHz mono 16-bit PCM")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return (pcm / 32768).astype(np.float32)


class SpeechDetector(Node):
    """Speech probability for each 512-sample (32 ms) window of a 16 kHz mono Audio stream.

    Each input chunk (any length) yields one dict per window it completes:
    ``{"window", "end_ms", "probability", "speech", "model"}`` (``model``: which load, where).
    A chunk may come stamped, ``{"audio": Audio, "t_in": time.time()}``: its windows then carry
    ``latency_ms`` since the stamp. The network's recurrent state, the context samples and a
    partial window carry over between chunks; ``loads`` and ``loaded_in`` record initialize().
    """

    def __init__(self, threshold: float = 0.5, **config: Any) -> None:
        super().__init__(threshold=threshold, **config)
        self.threshold = threshold
        self.session: Any = None  # an onnxruntime.InferenceSession once initialized
        self.loads = 0
        self.loaded_in = "nowhere yet"
        self.windows = 0
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def initialize(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(silero_model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self.loads += 1
        self.loaded_in = where()

    def process(self, item: Audio | dict[str, Any]) -> Iterator[dict[str, Any]]:
        audio, t_in = (item["audio"], item["t_in"]) if isinstance(item, dict) else (item, None)
        if self.session is None:
            raise RuntimeError(f"{self.name}: process() before initialize()")
        if audio.sample_rate != SAMPLE_RATE or audio.channels != 1:
            raise ValueError(f"{self.name} expects 16 kHz mono, got {audio.sample_rate} Hz")
        buffered = np.concatenate([self._pending, audio.samples.astype(np.float32)])
        whole = buffered.size - buffered.size % WINDOW
        for start in range(0, whole, WINDOW):
            frame = np.concatenate([self._context, buffered[start : start + WINDOW]])[None, :]
            inputs = {"input": frame, "state": self._state, "sr": np.array(SAMPLE_RATE)}
            probability, self._state = self.session.run(None, inputs)
            self._context = frame[0, -CONTEXT:]
            self.windows += 1
            p = float(probability[0, 0])
            end_ms = self.windows * WINDOW * 1000 // SAMPLE_RATE
            model = f"load #{self.loads} in the {self.loaded_in}"
            event = {
                "window": self.windows,
                "end_ms": end_ms,
                "probability": round(p, 3),
                "speech": p >= self.threshold,
                "model": model,
            }
            if t_in is not None:
                event["latency_ms"] = round((time.time() - t_in) * 1000, 2)
            yield event
        self._pending = buffered[whole:]

    def cleanup(self) -> None:
        self.session = None  # releases the model; the counters and stream state stay


def speech_segments(events: list[dict[str, Any]], min_gap_ms: int = 200) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of each run of speech windows; gaps shorter than ``min_gap_ms`` are bridged."""
    segments: list[tuple[int, int]] = []
    for event in events:
        if not event["speech"]:
            continue
        start = event["end_ms"] - WINDOW * 1000 // SAMPLE_RATE
        if segments and start - segments[-1][1] < min_gap_ms:
            segments[-1] = (segments[-1][0], event["end_ms"])
        else:
            segments.append((start, event["end_ms"]))
    return segments


class ClipPlayer(Node):
    """A source playing the clip in real time: one stamped 512-sample chunk every 32 ms."""

    is_source = True

    async def process(self) -> AsyncIterator[dict[str, Any]]:
        samples = read_clip()
        started = time.monotonic()
        for i, at in enumerate(range(0, samples.size - WINDOW + 1, WINDOW)):
            # wait until the chunk has been "recorded": real time, without drift
            await asyncio.sleep(
                max(0.0, started + (i + 1) * WINDOW / SAMPLE_RATE - time.monotonic())
            )
            yield {
                "audio": Audio(samples[at : at + WINDOW], SAMPLE_RATE),
                "t_in": time.time(),
            }
