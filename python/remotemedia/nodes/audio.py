"""Built-in audio nodes for :class:`~remotemedia.data.Audio` blocks (numpy is imported on use)."""

from __future__ import annotations

import math
from typing import Any

from ..data import Audio, _is_positive_int
from ..node import Node
from ..registry import register_node
from .params import camel_case_params
from .resampler import resample

__all__ = ["AudioGainNode", "AudioTransform", "ChannelMixNode", "ResampleNode"]


def _expect_audio(node: Node, data: Any) -> Audio:
    if not isinstance(data, Audio):
        raise TypeError(
            f"{type(node).__name__} {node.name!r} expects Audio, got {type(data).__name__}"
        )
    return data


def _positive_int(node: str, field: str, value: Any) -> int:
    if not _is_positive_int(value):
        raise ValueError(f"{node}: {field} must be a positive integer, got {value!r}")
    return int(value)


@register_node
class AudioGainNode(Node):
    """Scales samples by ``10 ** (gain_db / 20)`` (6.02 dB doubles the amplitude).

    With ``clip=True`` (the default) the result is clipped to [-1, 1].
    Also registered as ``AudioGain``.
    """

    def __init__(self, *, gain_db: float, clip: bool = True, name: str | None = None) -> None:
        if (
            isinstance(gain_db, bool)
            or not isinstance(gain_db, (int, float))
            or not math.isfinite(gain_db)
        ):
            raise ValueError(f"AudioGainNode: gain_db must be a finite number, got {gain_db!r}")
        import numpy as np

        super().__init__(name=name, gain_db=gain_db, clip=clip)
        self.factor = np.float32(10.0 ** (gain_db / 20.0))
        self.clip = bool(clip)

    def process(self, data: Any) -> Audio:
        import numpy as np

        audio = _expect_audio(self, data)
        samples = audio.samples * self.factor
        if self.clip:
            np.clip(samples, -1.0, 1.0, out=samples)
        return Audio(samples, audio.sample_rate, audio.channels)


@register_node
class ChannelMixNode(Node):
    """Converts the channel count to ``target_channels``.

    Downmixing to mono averages the channels of each frame; upmixing mono
    copies the one channel into every output channel; audio that already has
    ``target_channels`` passes through unchanged. Other conversions (e.g.
    5.1 to stereo) raise ``ValueError``. Also registered as ``ChannelMix``.
    """

    def __init__(self, *, target_channels: int, name: str | None = None) -> None:
        target = _positive_int("ChannelMixNode", "target_channels", target_channels)
        super().__init__(name=name, target_channels=target)
        self.target_channels = target

    def process(self, data: Any) -> Audio:
        import numpy as np

        audio = _expect_audio(self, data)
        if audio.channels == self.target_channels:
            return audio
        if self.target_channels == 1:
            return Audio(audio.planar().mean(axis=0, dtype=np.float32), audio.sample_rate, 1)
        if audio.channels == 1:
            return Audio(
                np.repeat(audio.samples, self.target_channels),
                audio.sample_rate,
                self.target_channels,
            )
        raise ValueError(
            f"ChannelMixNode {self.name!r} can only downmix to mono or upmix from mono, "
            f"not {audio.channels} -> {self.target_channels} channels"
        )


@register_node
class ResampleNode(Node):
    """Resamples to ``target_rate`` by linear interpolation, channel by channel.

    A block of ``n`` frames becomes ``round(n * target_rate / sample_rate)``
    frames; output frame ``k`` samples the input at position
    ``k * sample_rate / target_rate`` (clamped to the last frame). Each block is
    resampled on its own, without state carried between blocks. Audio already
    at ``target_rate`` passes through unchanged. Also registered as ``Resample``.
    """

    def __init__(self, *, target_rate: int, name: str | None = None) -> None:
        rate = _positive_int("ResampleNode", "target_rate", target_rate)
        super().__init__(name=name, target_rate=rate)
        self.target_rate = rate

    def process(self, data: Any) -> Audio:
        import numpy as np

        audio = _expect_audio(self, data)
        if audio.sample_rate == self.target_rate:
            return audio
        if audio.frames == 0:
            return Audio(audio.samples, self.target_rate, audio.channels)
        frames_out = round(audio.frames * self.target_rate / audio.sample_rate)
        positions = np.arange(frames_out) * (audio.sample_rate / self.target_rate)
        source = np.arange(audio.frames)
        planar = audio.planar()
        out = np.empty((frames_out, audio.channels), dtype=np.float32)
        for channel in range(audio.channels):
            out[:, channel] = np.interp(positions, source, planar[channel])
        return Audio(out.reshape(-1), self.target_rate, audio.channels)


@register_node
@camel_case_params
class AudioTransform(Node):
    """Upstream's ``AudioTransform``: resamples to ``output_sample_rate`` and converts to ``output_channels``.

    Each block is resampled on its own with the high-quality windowed-sinc
    filter (``ceil(frames * output / input)`` frames), then mono is copied to
    every output channel, several channels are averaged down to mono, and
    other conversions keep the first ``output_channels`` channels (as
    upstream). Defaults: 44100 Hz, 2 channels. Also registered as
    ``AudioTransformNode``; camelCase params are accepted.
    """

    def __init__(
        self, *, output_sample_rate: int = 44100, output_channels: int = 2, name: str | None = None
    ) -> None:
        rate = _positive_int("AudioTransform", "output_sample_rate", output_sample_rate)
        channels = _positive_int("AudioTransform", "output_channels", output_channels)
        super().__init__(name=name, output_sample_rate=rate, output_channels=channels)
        self.output_sample_rate = rate
        self.output_channels = channels

    def process(self, data: Any) -> Audio:
        import numpy as np

        audio = _expect_audio(self, data)
        planar = audio.samples.reshape(audio.frames, audio.channels)
        if audio.sample_rate != self.output_sample_rate and audio.frames:
            planar = resample(planar, audio.sample_rate, self.output_sample_rate, "high")
        if audio.channels != self.output_channels:
            if audio.channels == 1:
                planar = np.repeat(planar, self.output_channels, axis=1)
            elif self.output_channels == 1:
                planar = planar.mean(axis=1, keepdims=True, dtype=np.float32)
            else:
                planar = planar[:, : self.output_channels]
                if planar.shape[1] < self.output_channels:
                    raise ValueError(
                        f"AudioTransform {self.name!r} cannot make {self.output_channels} "
                        f"channels from {audio.channels}"
                    )
        return Audio(planar.reshape(-1), self.output_sample_rate, self.output_channels)
