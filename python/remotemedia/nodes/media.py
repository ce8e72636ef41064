"""Media file nodes (PyAV): MediaReaderNode, AudioTrackSource, VideoTrackSource, MediaWriterNode."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..data import Audio, VideoFrame
from ..node import Node
from ..registry import register_node
from .params import camel_case_params

if TYPE_CHECKING:
    import av
    import av.container

__all__ = ["AudioTrackSource", "MediaReaderNode", "MediaWriterNode", "VideoTrackSource"]

# VideoFrame pixel formats -> (FFmpeg's name, bytes per pixel); yuv420p is not converted here.
_PACKED = {"rgb24": ("rgb24", 3), "bgr24": ("bgr24", 3), "rgba": ("rgba", 4), "bgra": ("bgra", 4),
           "gray8": ("gray", 1)}  # fmt: skip
_HOLD_PACKETS = 256
_INSTALL = "install the media extra: pip install 'remotemedia[media]'"


def _check_format(node: str, pixel_format: Any) -> str:
    if pixel_format not in _PACKED:
        raise ValueError(
            f"{node}: pixel format must be one of {', '.join(_PACKED)}, got {pixel_format!r}"
        )
    return str(pixel_format)


def _import_av(node: str) -> Any:
    try:
        import av
    except ImportError as exc:
        raise RuntimeError(f"{node} needs PyAV: {_INSTALL}") from exc
    return av


def _audio(frame: av.AudioFrame) -> Audio:
    """An AudioFrame as float32 interleaved :class:`Audio`, whatever its sample format."""
    import numpy as np

    channels = len(frame.layout.channels)
    array = frame.to_ndarray()
    if array.dtype.kind in "iu":
        scale = float(2 ** (8 * array.dtype.itemsize - 1))
        array = (array.astype(np.float64) - (scale if array.dtype.kind == "u" else 0.0)) / scale
    if frame.format.is_planar:
        array = array.reshape(channels, -1).T
    return Audio(
        np.ascontiguousarray(array, dtype=np.float32).reshape(-1), frame.sample_rate, channels
    )


def _video(frame: av.VideoFrame, pixel_format: str) -> VideoFrame:
    array = frame.to_ndarray(format=_PACKED[pixel_format][0])
    return VideoFrame(array.tobytes(), frame.width, frame.height, pixel_format)


def _av_video(frame: VideoFrame) -> av.VideoFrame:
    import av
    import numpy as np

    ffmpeg_format, depth = _PACKED[_check_format("VideoFrame", frame.format)]
    shape = (frame.height, frame.width) if depth == 1 else (frame.height, frame.width, depth)
    pixels = np.frombuffer(frame.data, dtype=np.uint8).reshape(shape)
    return av.VideoFrame.from_ndarray(pixels, format=ffmpeg_format)


@register_node
@camel_case_params
class MediaReaderNode(Node):
    """Source: decodes the media file at ``path`` and yields its audio and video, in file order.

    Audio comes out as :class:`Audio` (float32 interleaved, one item per
    decoded frame), video as :class:`VideoFrame` in ``video_format``
    (``rgb24`` by default; ``bgr24``, ``rgba``, ``bgra``, ``gray8``). Only the
    first audio and the first video stream are read. Needs PyAV.
    """

    is_source = True

    def __init__(self, *, path: str, video_format: str = "rgb24", name: str | None = None) -> None:
        if not isinstance(path, str) or not path:
            raise ValueError(f"MediaReaderNode: path must be a non-empty string, got {path!r}")
        video_format = _check_format("MediaReaderNode", video_format)
        super().__init__(name=name, path=path, video_format=video_format)
        self.path = path
        self.video_format = video_format

    def process(self) -> Iterator[Audio | VideoFrame]:  # type: ignore[override]
        av = _import_av("MediaReaderNode")
        with av.open(self.path) as container:
            streams = [
                s for kind in ("audio", "video") for s in getattr(container.streams, kind)[:1]
            ]
            if not streams:
                raise ValueError(
                    f"MediaReaderNode {self.name!r}: {self.path!r} has no audio or video"
                )
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        yield _audio(frame)
                    elif isinstance(frame, av.VideoFrame):
                        yield _video(frame, self.video_format)


@register_node
class AudioTrackSource(Node):
    """Keeps the audio of a mixed stream (e.g. from :class:`MediaReaderNode`): :class:`Audio` passes, the rest is dropped.

    Upstream's AudioTrackSource takes the audio frames out of its media
    reader's ``{"audio": frame}`` items; here the reader already yields
    :class:`Audio`, which this node selects.
    """

    def process(self, data: Any) -> Audio | None:
        return data if isinstance(data, Audio) else None


@register_node
@camel_case_params
class VideoTrackSource(Node):
    """Keeps the video of a mixed stream: :class:`VideoFrame` items pass, converted to ``output_format``.

    ``output_format`` defaults to ``bgr24`` (upstream's default); ``rgb24``,
    ``rgba``, ``bgra`` and ``gray8`` work too. Other items are dropped.
    """

    def __init__(self, *, output_format: str = "bgr24", name: str | None = None) -> None:
        output_format = _check_format("VideoTrackSource", output_format)
        super().__init__(name=name, output_format=output_format)
        self.output_format = output_format

    def process(self, data: Any) -> VideoFrame | None:
        if not isinstance(data, VideoFrame):
            return None
        if data.format == self.output_format:
            return data
        return _video(_av_video(data), self.output_format)


@register_node
@camel_case_params
class MediaWriterNode(Node):
    """Sink: encodes the :class:`Audio` and :class:`VideoFrame` items it receives into ``output_path``.

    The container format follows the file name. Audio is encoded as 16-bit PCM
    in ``.wav`` files and as AAC elsewhere (or ``audio_codec``); video with
    ``video_codec`` (``libx264`` by default, ``libvpx`` for ``.webm``) at
    ``fps`` frames per second (default 30). A track is set up by its first
    item. Packets wait until both tracks have started (or 256 packets of one
    track are waiting), then the file header fixing the tracks is written: a
    track whose first item comes later is an error. The file is finished by
    :meth:`cleanup`. Yields nothing.
    """

    _runtime_attrs = ("_container", "_streams", "_held")

    def __init__(
        self,
        *,
        output_path: str,
        fps: int = 30,
        audio_codec: str | None = None,
        video_codec: str | None = None,
        name: str | None = None,
    ) -> None:
        if not isinstance(output_path, str) or not output_path:
            raise ValueError(
                f"MediaWriterNode: output_path must be a non-empty string, got {output_path!r}"
            )
        if isinstance(fps, bool) or not isinstance(fps, int) or fps <= 0:
            raise ValueError(f"MediaWriterNode: fps must be a positive integer, got {fps!r}")
        super().__init__(
            name=name,
            output_path=output_path,
            fps=fps,
            audio_codec=audio_codec,
            video_codec=video_codec,
        )
        self.output_path = output_path
        self.fps = fps
        wav = output_path.lower().endswith(".wav")
        self.audio_codec = audio_codec or ("pcm_s16le" if wav else "aac")
        self.video_codec = video_codec or (
            "libvpx" if output_path.lower().endswith(".webm") else "libx264"
        )
        self._container: av.container.OutputContainer | None = None
        self._streams: dict[str, Any] | None = None
        self._held: list[Any] | None = None  # packets waiting for the header; None once written
        self._written = {"audio": 0, "video": 0}

    def process(self, data: Any) -> None:
        if isinstance(data, Audio):
            self._write_audio(data)
        elif isinstance(data, VideoFrame):
            self._write_video(data)
        else:
            raise TypeError(
                f"MediaWriterNode {self.name!r} expects Audio or VideoFrame, got {type(data).__name__}"
            )

    def _stream(self, kind: str, make: Any) -> Any:
        if self._container is None:
            self._container = _import_av("MediaWriterNode").open(self.output_path, mode="w")
            self._streams, self._held = {}, []
        assert self._streams is not None
        if kind not in self._streams:
            if self._held is None:
                raise ValueError(
                    f"MediaWriterNode {self.name!r}: the first {kind} item came after the file "
                    "header was written; send one item of each track before the rest"
                )
            self._streams[kind] = make(self._container)
        return self._streams[kind]

    def _write_audio(self, audio: Audio) -> None:
        import av

        def make(container: Any) -> Any:
            stream = container.add_stream(self.audio_codec, rate=audio.sample_rate)
            stream.layout = (
                "mono"
                if audio.channels == 1
                else "stereo"
                if audio.channels == 2
                else f"{audio.channels}c"
            )
            return stream

        stream = self._stream("audio", make)
        frame = av.AudioFrame.from_ndarray(
            audio.samples.reshape(1, -1), format="flt", layout=stream.layout.name
        )
        frame.sample_rate = audio.sample_rate
        frame.pts = self._written["audio"]
        frame.time_base = Fraction(1, audio.sample_rate)
        self._mux(stream, frame, "audio", audio.frames)

    def _write_video(self, video: VideoFrame) -> None:
        def make(container: Any) -> Any:
            stream = container.add_stream(self.video_codec, rate=self.fps)
            stream.width, stream.height = video.width, video.height
            stream.pix_fmt = "yuv420p"
            return stream

        stream = self._stream("video", make)
        frame = _av_video(video)
        frame.pts = self._written["video"]
        frame.time_base = Fraction(1, self.fps)
        self._mux(stream, frame, "video", 1)

    def _mux(self, stream: Any, frame: Any, kind: str, count: int) -> None:
        assert self._container is not None and self._streams is not None
        packets = stream.encode(frame)
        self._written[kind] += count
        if self._held is not None:
            self._held.extend(packets)
            if len(self._streams) < 2 and len(self._held) < _HOLD_PACKETS:
                return
            packets, self._held = self._held, None
        self._container.mux(packets)

    def cleanup(self) -> None:
        """Flush the encoders and close the file."""
        container, streams, held = self._container, self._streams or {}, self._held or []
        self._container, self._streams, self._held = None, None, None
        self._written = {"audio": 0, "video": 0}
        if container is None:
            return
        try:
            for stream in streams.values():
                held.extend(stream.encode(None))
            container.mux(held)
        finally:
            container.close()
