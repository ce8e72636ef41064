"""Writes examples/speech_clip.wav: 3.6 s of formant-synthesized speech-like audio, 16 kHz mono.

The clip the VAD examples listen to, committed beside this script (it came from nothing else:
no recording, no voice data). Layout: 0.6 s room tone, "utterance" A (0.6-1.6 s: four syllables),
0.9 s room tone, "utterance" B (2.5-3.2 s: three syllables), room tone to 3.6 s. Each syllable is
a glottal pulse train (falling pitch, a little jitter) through a cascade of formant resonators
gliding between vowels, with an attack/decay envelope, some led by a fricative noise burst.

Regenerate it (deterministic): `python/.venv/bin/python examples/make_speech_clip.py`.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
SECONDS = 3.6
OUT = Path(__file__).with_name("speech_clip.wav")
SPEECH_SPANS_S = ((0.6, 1.6), (2.5, 3.2))
"""Where the utterances are (start, end in seconds); the examples check the VAD against these."""

# (F1, F2, F3) in Hz of the vowels the syllables glide through.
VOWELS = {
    "a": (730, 1090, 2440),
    "i": (270, 2290, 3010),
    "u": (300, 870, 2240),
    "e": (530, 1840, 2480),
}
BANDWIDTHS = (80, 100, 140)
# Per utterance: (vowel at the start, vowel at the end, has a fricative onset) for each syllable.
UTTERANCES = (
    (("a", "i", True), ("e", "a", False), ("u", "e", True), ("a", "u", False)),
    (("i", "a", True), ("e", "u", False), ("a", "e", False)),
)

Floats = npt.NDArray[np.float64]


def resonate(x: Floats, freqs: Floats, bandwidth: float) -> Floats:
    """A two-pole resonator with a time-varying centre frequency (Klatt's formant filter)."""
    y = np.zeros_like(x)
    r = math.exp(-math.pi * bandwidth / SAMPLE_RATE)
    b2 = -r * r
    y1 = y2 = 0.0
    for n, (xn, f) in enumerate(zip(x, freqs)):
        b1 = 2 * r * math.cos(2 * math.pi * f / SAMPLE_RATE)
        yn = (1 - b1 - b2) * xn + b1 * y1 + b2 * y2
        y[n], y2, y1 = yn, y1, yn
    return y


def syllable(start: str, end: str, fricative: bool, f0: float, rng: np.random.Generator) -> Floats:
    """One ~230 ms syllable: an optional 40 ms noise onset, then a voiced vowel glide."""
    voiced = int(0.19 * SAMPLE_RATE)
    pulses = np.zeros(voiced)
    t = 0.0
    while t < voiced:
        pulses[int(t)] = 1.0
        period = SAMPLE_RATE / (f0 * (1 - 0.25 * t / voiced))  # the pitch falls by a quarter
        t += period * (1 + 0.01 * rng.standard_normal())
    glottal = np.convolve(pulses, np.hanning(24), mode="same")  # softened pulses
    glide = np.linspace(0, 1, voiced) ** 1.5
    vowel = glottal
    for k, bandwidth in enumerate(BANDWIDTHS):
        freqs = VOWELS[start][k] + (VOWELS[end][k] - VOWELS[start][k]) * glide
        vowel = resonate(vowel, freqs, bandwidth)
    envelope = np.minimum(1, np.arange(voiced) / (0.025 * SAMPLE_RATE))
    envelope *= np.minimum(1, (voiced - np.arange(voiced)) / (0.06 * SAMPLE_RATE))
    vowel = vowel * envelope / np.max(np.abs(vowel))
    onset = np.zeros(int(0.04 * SAMPLE_RATE))
    if fricative:
        hiss = rng.standard_normal(onset.size)
        hiss = hiss - np.convolve(hiss, np.ones(4) / 4, mode="same")  # high-passed
        onset = 0.15 * hiss * np.hanning(onset.size)
    return np.concatenate([onset, vowel])


def synthesize() -> Floats:
    rng = np.random.default_rng(11)
    signal = 10 ** (-60 / 20) * rng.standard_normal(int(SECONDS * SAMPLE_RATE))
    for (begin, _end), syllables in zip(SPEECH_SPANS_S, UTTERANCES):
        at = int(begin * SAMPLE_RATE)
        for i, (start, end, fricative) in enumerate(syllables):
            piece = syllable(start, end, fricative, 140 - 8 * i, rng)
            signal[at : at + piece.size] += 0.5 * piece
            at += piece.size + int(0.02 * SAMPLE_RATE)
    return signal


def main() -> None:
    pcm = np.clip(np.round(synthesize() * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(OUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    print(f"wrote {OUT.name}: {pcm.size / SAMPLE_RATE:.1f} s, {SAMPLE_RATE} Hz mono, 16-bit")


if __name__ == "__main__":
    main()
