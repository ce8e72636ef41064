"""Writes the corpus's test clip with PyAV: 4.5 s of an 880 Hz stereo tone at 48 kHz (AAC) and 10 fps colour frames (H.264)."""

import sys
from fractions import Fraction

import av
import numpy as np

RATE, TONE, SECONDS, FPS, WIDTH, HEIGHT = 48000, 880.0, 4.5, 10, 64, 48

with av.open(sys.argv[1], mode="w") as container:
    video = container.add_stream("libx264", rate=FPS)
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    audio = container.add_stream("aac", rate=RATE)
    audio.layout = "stereo"
    for i in range(int(SECONDS * FPS)):
        pixels = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
        pixels[:] = (5 * i, 200 - 4 * i, 128)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, FPS)
        container.mux(video.encode(frame))
    n = int(RATE * SECONDS)
    tone = (0.5 * np.sin(2 * np.pi * TONE * np.arange(n) / RATE)).astype(np.float32)
    for start in range(0, n, 1024):
        block = tone[start : start + 1024]
        chunk = av.AudioFrame.from_ndarray(np.stack([block, block]), format="fltp", layout="stereo")
        chunk.sample_rate, chunk.pts, chunk.time_base = RATE, start, Fraction(1, RATE)
        container.mux(audio.encode(chunk))
    container.mux(video.encode(None))
    container.mux(audio.encode(None))
