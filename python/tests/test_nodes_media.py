"""MediaReaderNode, AudioTrackSource, VideoTrackSource and MediaWriterNode on a short video made with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from remotemedia import Audio, VideoFrame
from remotemedia.nodes import AudioTrackSource, MediaReaderNode, MediaWriterNode, VideoTrackSource

RATE, TONE, FPS, FRAMES, WIDTH, HEIGHT = 16000, 440.0, 10, 10, 64, 48


def _colour(index: int) -> tuple[int, int, int]:
    return (20 * index, 200 - 15 * index, 128)


def _make_video(path: Path) -> None:
    """One second: 10 flat-colour frames (a different colour each) and a 440 Hz tone."""
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = container.add_stream("aac", rate=RATE)
        audio.layout = "mono"
        for i in range(FRAMES):
            pixels = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
            pixels[:] = _colour(i)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        t = np.arange(RATE) / RATE
        tone = (0.5 * np.sin(2 * np.pi * TONE * t)).astype(np.float32)
        for start in range(0, RATE, 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="flt", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = RATE, start, Fraction(1, RATE)
            container.mux(audio.encode(chunk))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    _make_video(path)
    return path


def _peak_hz(audio: Audio) -> float:
    mono = audio.planar().mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    return float(np.fft.rfftfreq(mono.size, 1 / audio.sample_rate)[spectrum.argmax()])


def _join(chunks: list[Audio]) -> Audio:
    return Audio(
        np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, chunks[0].channels
    )


def test_reader_yields_the_tracks_as_audio_and_video_frames(video_file: Path) -> None:
    items = list(MediaReaderNode(path=str(video_file)).process())
    frames = [i for i in items if isinstance(i, VideoFrame)]
    audio = [i for i in items if isinstance(i, Audio)]
    assert len(frames) == FRAMES and len(audio) + len(frames) == len(items)
    assert {(f.width, f.height, f.format) for f in frames} == {(WIDTH, HEIGHT, "rgb24")}
    for index, frame in enumerate(
        frames
    ):  # lossy: each frame's mean colour is close to the one drawn
        pixels = np.frombuffer(frame.data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
        np.testing.assert_allclose(pixels.reshape(-1, 3).mean(axis=0), _colour(index), atol=6)
    joined = _join(audio)
    assert (joined.sample_rate, joined.channels) == (RATE, 1)
    assert abs(joined.duration - 1.0) < 0.1
    assert abs(_peak_hz(joined) - TONE) <= 2.0
    assert 0.4 < float(np.abs(joined.samples).max()) < 0.6


def test_track_sources_select_one_kind(video_file: Path) -> None:
    items = list(MediaReaderNode(path=str(video_file)).process())
    audio_track, video_track = AudioTrackSource(), VideoTrackSource()
    kept_audio = [a for a in (audio_track.process(i) for i in items) if a is not None]
    kept_video = [v for v in (video_track.process(i) for i in items) if v is not None]
    assert kept_audio == [i for i in items if isinstance(i, Audio)]
    assert len(kept_video) == FRAMES and all(v.format == "bgr24" for v in kept_video)
    rgb = next(i for i in items if isinstance(i, VideoFrame))
    bgr = np.frombuffer(kept_video[0].data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(
        bgr[..., ::-1], np.frombuffer(rgb.data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
    )
    assert VideoTrackSource(output_format="rgb24").process(rgb) is rgb


def test_reader_gray_output_and_errors(video_file: Path, tmp_path: Path) -> None:
    gray = next(
        i
        for i in MediaReaderNode(path=str(video_file), videoFormat="gray8").process()
        if isinstance(i, VideoFrame)
    )
    assert (gray.format, len(gray.data)) == ("gray8", WIDTH * HEIGHT)
    with pytest.raises(ValueError, match="pixel format must be one of"):
        MediaReaderNode(path=str(video_file), video_format="yuv420p")
    with pytest.raises(FileNotFoundError):
        list(MediaReaderNode(path=str(tmp_path / "missing.mp4")).process())
    assert MediaReaderNode.is_source


def test_writer_round_trips_audio_and_video(video_file: Path, tmp_path: Path) -> None:
    items = list(MediaReaderNode(path=str(video_file)).process())
    out = tmp_path / "copy.mp4"
    writer = MediaWriterNode(output_path=str(out), fps=FPS)
    for item in items:  # in file order: packets wait until both tracks have started
        assert writer.process(item) is None
    writer.cleanup()
    copied = list(MediaReaderNode(path=str(out)).process())
    frames = [i for i in copied if isinstance(i, VideoFrame)]
    assert len(frames) == FRAMES
    last = np.frombuffer(frames[-1].data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
    np.testing.assert_allclose(last.reshape(-1, 3).mean(axis=0), _colour(FRAMES - 1), atol=8)
    assert abs(_peak_hz(_join([i for i in copied if isinstance(i, Audio)])) - TONE) <= 2.0


def test_writer_wav_is_exact_to_16_bits(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    stereo = np.column_stack(
        [0.5 * np.sin(2 * np.pi * 300 * t), 0.25 * np.sin(2 * np.pi * 700 * t)]
    )
    audio = Audio(stereo.reshape(-1).astype(np.float32), 8000, 2)
    out = tmp_path / "tone.wav"
    writer = MediaWriterNode(output_path=str(out))
    writer.process(Audio(audio.samples[:4000], 8000, 2))
    writer.process(Audio(audio.samples[4000:], 8000, 2))
    writer.cleanup()
    back = _join([a for a in MediaReaderNode(path=str(out)).process() if isinstance(a, Audio)])
    assert (back.sample_rate, back.channels, back.frames) == (8000, 2, 8000)
    np.testing.assert_allclose(back.samples, audio.samples, atol=1 / 32768 + 1e-6)


def test_writer_rejects_a_late_track_and_other_items(tmp_path: Path) -> None:
    writer = MediaWriterNode(output_path=str(tmp_path / "a.mp4"))
    for _ in range(300):  # enough packets of one track to write the header
        writer.process(VideoFrame(bytes(WIDTH * HEIGHT * 3), WIDTH, HEIGHT))
    with pytest.raises(ValueError, match="came after the file header"):
        writer.process(Audio(np.zeros(1024, dtype=np.float32), RATE))
    with pytest.raises(TypeError, match="expects Audio or VideoFrame, got str"):
        writer.process("text")
    writer.cleanup()
    with pytest.raises(ValueError, match="fps must be a positive integer"):
        MediaWriterNode(output_path="x.mp4", fps=0)
