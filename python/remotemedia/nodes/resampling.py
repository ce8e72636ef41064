"""Upstream's resampling nodes: FastResampleNode (streaming, stateful) and AudioResampleNode."""

from __future__ import annotations

from typing import Any

from ..data import Audio, _is_positive_int
from ..node import Node
from ..registry import register_node
from .params import camel_case_params
from .resampler import Resampler, quality_key

__all__ = ["AudioResampleNode", "FastResampleNode"]


def _rate(node: str, field: str, value: Any) -> int | None:
    if value is None or value == "auto":
        return None
    if not _is_positive_int(value):
        raise ValueError(f"{node}: {field} must be a positive integer or 'auto', got {value!r}")
    return int(value)


class _StreamingResample(Node):
    """Resamples a stream of :class:`Audio` blocks to ``target_rate`` with one stateful filter.

    The filter state carries across blocks (block boundaries leave no seams);
    it starts over when the input's rate or channel count changes. The filter
    delays the stream by a few input samples (its ``latency``), which stay
    buffered: the runtime has no end-of-stream hook, so the last ``latency``
    input frames of a stream are not emitted.
    """

    _runtime_attrs = ("_resampler",)

    def __init__(
        self, target_rate: int | None, quality: str, name: str | None, config: dict[str, Any]
    ) -> None:
        super().__init__(name=name, **config)
        self.target_rate = target_rate
        self.quality = quality_key(type(self).__name__, quality)
        self._resampler: Resampler | None = None

    def _convert(self, data: Any) -> Any:
        if not isinstance(data, Audio):
            # Upstream chains resamplers after nodes that also emit events (VAD dicts): those pass.
            return data
        if self.target_rate is None or data.sample_rate == self.target_rate:
            return data
        resampler = self._resampler
        if resampler is None or (resampler.source_rate, resampler.channels) != (
            data.sample_rate,
            data.channels,
        ):
            resampler = Resampler(data.sample_rate, self.target_rate, data.channels, self.quality)
            self._resampler = resampler
        out = resampler.process(data.samples.reshape(data.frames, data.channels))
        return Audio(out.reshape(-1), self.target_rate, data.channels)


@register_node(aliases=("FastResample",))
@camel_case_params
class FastResampleNode(_StreamingResample):
    """Upstream's ``FastResampleNode``: streaming resampling to ``target_rate``.

    Params (camelCase accepted): ``target_rate`` (Hz; omitted or ``"auto"``
    passes audio through unchanged), ``source_rate`` (Hz; omitted or
    ``"auto"`` takes each block's rate, a number must match it),
    ``quality`` (``"Low"`` linear, ``"Medium"`` (default) or ``"High"``
    windowed sinc, any case) and ``channels`` (when given, the input must
    have that many channels). Emits one block per input block.
    """

    def __init__(
        self,
        *,
        target_rate: int | str | None = None,
        source_rate: int | str | None = None,
        quality: str = "Medium",
        channels: int | None = None,
        name: str | None = None,
    ) -> None:
        label = "FastResampleNode"
        target = _rate(label, "target_rate", target_rate)
        self.source_rate = _rate(label, "source_rate", source_rate)
        if channels is not None and not _is_positive_int(channels):
            raise ValueError(f"{label}: channels must be a positive integer, got {channels!r}")
        self.channels = channels
        config = {
            "target_rate": target_rate,
            "source_rate": source_rate,
            "quality": quality,
            "channels": channels,
        }
        super().__init__(target, quality, name, config)

    def process(self, data: Any) -> Any:
        if isinstance(data, Audio):
            if self.source_rate is not None and data.sample_rate != self.source_rate:
                raise ValueError(
                    f"FastResampleNode {self.name!r}: source_rate is {self.source_rate} Hz "
                    f"but the audio is {data.sample_rate} Hz"
                )
            if self.channels is not None and data.channels != self.channels:
                raise ValueError(
                    f"FastResampleNode {self.name!r}: channels is {self.channels} "
                    f"but the audio has {data.channels}"
                )
        return self._convert(data)


@register_node
@camel_case_params
class AudioResampleNode(_StreamingResample):
    """Upstream's ``AudioResampleNode`` (also ``AudioResample``): resampling to ``target_sample_rate``.

    Params: ``target_sample_rate`` (Hz, default 16000), ``quality`` (``"low"``,
    ``"medium"`` or ``"high"`` (default), any case) and ``runtime_hint``
    (``"auto"``, ``"rust"`` or ``"python"``; upstream picks an implementation
    with it, here there is one). Streams like :class:`FastResampleNode`.
    """

    def __init__(
        self,
        *,
        target_sample_rate: int = 16000,
        quality: str = "high",
        runtime_hint: str = "auto",
        name: str | None = None,
    ) -> None:
        if not _is_positive_int(target_sample_rate):
            raise ValueError(
                "AudioResampleNode: target_sample_rate must be a positive integer, "
                f"got {target_sample_rate!r}"
            )
        if runtime_hint not in ("auto", "rust", "python"):
            raise ValueError(
                "AudioResampleNode: runtime_hint must be 'auto', 'rust' or 'python', "
                f"got {runtime_hint!r}"
            )
        config = {
            "target_sample_rate": target_sample_rate,
            "quality": quality,
            "runtime_hint": runtime_hint,
        }
        super().__init__(int(target_sample_rate), quality, name, config)

    def process(self, data: Any) -> Any:
        return self._convert(data)
