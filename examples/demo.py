"""The README's Python demo: synthesized audio -> a manifest gain node -> a stateful classifier.

Run inside the runtime, on the default in-process transport: `npx remotemedia run examples/demo.py`.
"""

from __future__ import annotations

import asyncio

import numpy as np
from remotemedia import Audio, execute_pipeline_with_input

from demo_model import SAMPLE_RATE, Floats, FrameClassifier

CHUNK = SAMPLE_RATE // 10  # 100 ms


def synthesize_signal(seconds: float = 2.0) -> Floats:
    """Room tone, a 200 Hz -> 4 kHz log sine sweep at 0.4-1.2 s, white noise at 1.2-1.6 s."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal = 10 ** (-70 / 20) * rng.standard_normal(t.size)
    sweep = (t >= 0.4) & (t < 1.2)
    ts, span, ratio = t[sweep] - 0.4, 0.8, 4_000 / 200
    phase = 2 * np.pi * 200 * span / np.log(ratio) * (ratio ** (ts / span) - 1)
    signal[sweep] += 10 ** (-12 / 20) * np.sqrt(2) * np.sin(phase)
    noise = (t >= 1.2) & (t < 1.6)
    signal[noise] += 10 ** (-20 / 20) * rng.standard_normal(int(noise.sum()))
    return signal


async def main() -> None:
    chunks = [Audio(c.astype(np.float32), SAMPLE_RATE) for c in np.split(synthesize_signal(), 20)]
    classifier = FrameClassifier(name="classifier")  # its initialize() loads demo_model.npz
    gain = {"id": "gain", "node_type": "AudioGain", "params": {"gain_db": 6}}  # a manifest node
    outputs = await execute_pipeline_with_input([gain, classifier], chunks)

    print("100 ms chunks after the +6 dB gain: start, label, confidence, level, pitch of tones")
    for out, start in zip(outputs, np.arange(len(outputs)) * CHUNK / SAMPLE_RATE):
        label, level = (
            f"{out['label']:<7} p={out['confidence']:.3f}",
            f"{out['level_dbfs']:6.1f} dBFS",
        )
        pitch = f"  {out['pitch_hz']} Hz" if out["pitch_hz"] is not None else ""
        print(f"{start:4.1f} s  {label}  {level}{pitch}")
    print(
        f"the caller's own classifier afterwards: {classifier.chunks} chunks, {classifier.frames}"
        f" frames, frames per label {classifier.frames_per_label},"
        f" model released by cleanup(): {classifier.model is None}"
    )


if __name__ == "__main__":
    asyncio.run(main())
