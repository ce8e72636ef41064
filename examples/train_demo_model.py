"""Trains the demo's frame classifier on synthesized audio; writes examples/demo_model.npz.

Deterministic (fixed seed), so the committed file is what it writes.

Run it with the repo's venv: python/.venv/bin/python examples/train_demo_model.py
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from demo_model import FRAME, MODEL_FILE, SAMPLE_RATE, Floats, frame_features

LABELS = ("silence", "tone", "noise")
PER_LABEL = 2_000


def synthesize(label: str, rng: np.random.Generator) -> Floats:
    """One labelled 20 ms frame: a room-tone floor, a sine over a floor, or white/smoothed noise."""
    floor: Floats = 10 ** (rng.uniform(-90, -55) / 20) * rng.standard_normal(FRAME)
    if label == "silence":
        return floor
    level = 10 ** (rng.uniform(-40, -3) / 20)
    if label == "tone":
        t = np.arange(FRAME) / SAMPLE_RATE
        phase = rng.uniform(0, 2 * np.pi)
        tone: Floats = level * np.sqrt(2) * np.sin(2 * np.pi * rng.uniform(80, 6_000) * t + phase)
        return tone + floor
    smooth = int(rng.integers(1, 4))  # 1: white; 2-3: gently low-passed
    noise: Floats = np.convolve(rng.standard_normal(FRAME), np.ones(smooth) / smooth, mode="same")
    scaled: Floats = level * noise / noise.std()
    return scaled


def train(
    x: Floats, y: npt.NDArray[np.int64], steps: int = 3_000, rate: float = 0.5
) -> tuple[Floats, Floats]:
    """Full-batch gradient descent on the softmax cross-entropy (plus a little L2)."""
    weights = np.zeros((x.shape[1], len(LABELS)))
    bias = np.zeros(len(LABELS))
    onehot = np.eye(len(LABELS))[y]
    for _ in range(steps):
        logits = x @ weights + bias
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        grad = (probs - onehot) / len(x)
        weights -= rate * (x.T @ grad + 1e-4 * weights)
        bias -= rate * grad.sum(axis=0)
    return weights, bias


def main() -> None:
    rng = np.random.default_rng(20_240_601)
    frames = np.stack([synthesize(label, rng) for label in LABELS for _ in range(PER_LABEL)])
    y = np.repeat(np.arange(len(LABELS)), PER_LABEL)
    features = frame_features(frames)
    mean, std = features.mean(axis=0), features.std(axis=0)
    weights, bias = train((features - mean) / std, y)
    accuracy = float((((features - mean) / std @ weights + bias).argmax(axis=1) == y).mean())
    np.savez(MODEL_FILE, mean=mean, std=std, weights=weights, bias=bias, labels=np.array(LABELS))
    print(f"wrote {MODEL_FILE.name}: {len(y)} synthesized frames, training accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
