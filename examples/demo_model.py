"""The Python demo's model: 20 ms frame features and a stateful silence/tone/noise classifier."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from remotemedia import Audio, Node

SAMPLE_RATE = 16_000
FRAME = 320  # 20 ms at 16 kHz
BAND_EDGES_HZ = (0, 250, 500, 1_000, 2_000, 4_000, 8_001)
MODEL_FILE = Path(__file__).with_name("demo_model.npz")

Floats = npt.NDArray[np.float64]


def frame_features(frames: Floats) -> Floats:
    """One row per 20 ms frame: level (dBFS), log spectral flatness, log power share per band."""
    level = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    power = np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1)) ** 2 + 1e-12
    flatness = np.log10(np.exp(np.mean(np.log(power), axis=1)) / np.mean(power, axis=1))
    hz = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
    bands = [
        power[:, (hz >= lo) & (hz < hi)].sum(axis=1) for lo, hi in itertools.pairwise(BAND_EDGES_HZ)
    ]
    shares = np.log10(np.stack(bands, axis=1) / power.sum(axis=1, keepdims=True))
    return np.column_stack([level, flatness, shares])


def dominant_hz(samples: Floats) -> float:
    """The strongest frequency in ``samples`` (zero-padded FFT, about 2 Hz resolution)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size), n=8_192))
    return float(np.argmax(spectrum) * SAMPLE_RATE / 8_192)


class FrameClassifier(Node):
    """Softmax regression over :func:`frame_features`; initialize() loads its weights from a .npz.

    Each 16 kHz mono Audio chunk (a whole number of 20 ms frames) becomes one summary: the majority
    label of its frames, their mean confidence, its level and, for a tone, its dominant frequency.
    The node keeps running totals (chunks, frames, frames per label) in the object itself, and
    cleanup() drops the weights but keeps the totals.
    """

    def __init__(self, model_file: Path = MODEL_FILE, **config: Any) -> None:
        super().__init__(**config)
        self.model_file = model_file
        self.model: dict[str, Floats] | None = None
        self.labels: list[str] = []
        self.chunks = 0
        self.frames = 0
        self.frames_per_label: dict[str, int] = {}

    def initialize(self) -> None:
        with np.load(self.model_file, allow_pickle=False) as npz:
            self.model = {key: npz[key] for key in ("mean", "std", "weights", "bias")}
            self.labels = [str(label) for label in npz["labels"]]
        self.frames_per_label = dict.fromkeys(self.labels, 0) | self.frames_per_label

    def process(self, audio: Audio) -> dict[str, Any]:
        if self.model is None:
            raise RuntimeError(f"{self.name}: process() before initialize()")
        if audio.sample_rate != SAMPLE_RATE or audio.channels != 1 or audio.frames % FRAME:
            raise ValueError(
                f"{self.name} expects 16 kHz mono in 20 ms frames, got {audio.sample_rate} Hz, "
                f"{audio.channels} channel(s), {audio.frames} frames"
            )
        samples = audio.samples.astype(np.float64)
        x = (frame_features(samples.reshape(-1, FRAME)) - self.model["mean"]) / self.model["std"]
        logits = x @ self.model["weights"] + self.model["bias"]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        votes = np.bincount(probs.argmax(axis=1), minlength=len(self.labels))
        best = int(votes.argmax())
        self.chunks += 1
        self.frames += len(probs)
        for label, count in zip(self.labels, votes):
            self.frames_per_label[label] += int(count)
        return {
            "chunk": self.chunks,
            "label": self.labels[best],
            "confidence": round(float(probs[:, best].mean()), 3),
            "level_dbfs": round(float(10 * np.log10(np.mean(samples * samples) + 1e-12)), 1),
            "pitch_hz": round(dominant_hz(samples)) if self.labels[best] == "tone" else None,
        }

    def cleanup(self) -> None:
        self.model = None
