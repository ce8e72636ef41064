"""SileroVADNode: voice activity detection with the Silero VAD ONNX model, run by onnxruntime."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import Audio
from ..node import Node
from ..registry import register_node
from .params import camel_case_params
from .resampler import Resampler

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["SileroVADNode", "silero_model_path"]

_WINDOW = {16000: 512, 8000: 256}
_CONTEXT = {16000: 64, 8000: 32}
_INSTALL = (
    "install the media extra and the model wheel: pip install 'remotemedia[media]' && "
    "pip install --no-deps silero-vad==6.2.3 (its declared torch dependency is not needed)"
)


def silero_model_path() -> Path:
    """Where the ``silero-vad`` wheel keeps ``silero_vad.onnx`` (found without importing torch)."""
    spec = importlib.util.find_spec("silero_vad")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise RuntimeError(f"SileroVADNode needs silero_vad/data/silero_vad.onnx: {_INSTALL}")


@register_node(aliases=("SileroVAD",))
@camel_case_params
class SileroVADNode(Node):
    """Upstream's ``SileroVADNode`` (also ``SileroVAD``): speech detection on an audio stream.

    Audio is converted to mono and to ``sampling_rate`` (8000 or 16000 Hz),
    then cut into the model's windows (512 samples at 16 kHz, 256 at 8 kHz;
    a partial window waits for the next input). The model state, the window
    context and the speech state carry across inputs.

    For each :class:`Audio` input the node yields, as upstream does, one event
    dict per window completed by that input, then the input audio unchanged.
    An event is ``{"has_speech", "speech_probability", "is_speech_start",
    "is_speech_end", "timestamp_ms"}``: speech starts at the first window with
    probability >= ``threshold`` and ends once ``min_silence_duration_ms`` of
    windows below it followed; ``timestamp_ms`` is the end of the window.
    Other inputs pass through unchanged.

    Params (camelCase accepted): ``threshold`` (0.5), ``sampling_rate``
    (16000; also spelled ``sample_rate``), ``min_silence_duration_ms`` (100), and ``min_speech_duration_ms``
    (250) and ``speech_pad_ms`` (30), which upstream accepts and does not use
    either. Needs onnxruntime and the model file of the ``silero-vad`` wheel.
    """

    _runtime_attrs = ("_session",)

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        sampling_rate: int = 16000,
        min_speech_duration_ms: int = 250,
        min_silence_duration_ms: int = 100,
        speech_pad_ms: int = 30,
        sample_rate: int | None = None,
        name: str | None = None,
    ) -> None:
        if sample_rate is not None:  # upstream's manifests spell it both ways
            sampling_rate = sample_rate
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0.0 <= threshold <= 1.0
        ):
            raise ValueError(
                f"SileroVADNode: threshold must be a number in [0, 1], got {threshold!r}"
            )
        if sampling_rate not in _WINDOW:
            raise ValueError(
                f"SileroVADNode: sampling_rate must be 8000 or 16000, got {sampling_rate!r}"
            )
        for field, value in (
            ("min_speech_duration_ms", min_speech_duration_ms),
            ("min_silence_duration_ms", min_silence_duration_ms),
            ("speech_pad_ms", speech_pad_ms),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"SileroVADNode: {field} must be an integer >= 0, got {value!r}")
        super().__init__(
            name=name,
            threshold=threshold,
            sampling_rate=sampling_rate,
            min_speech_duration_ms=min_speech_duration_ms,
            min_silence_duration_ms=min_silence_duration_ms,
            speech_pad_ms=speech_pad_ms,
        )
        self.threshold = float(threshold)
        self.sampling_rate = int(sampling_rate)
        self.min_silence_duration_ms = min_silence_duration_ms
        self._session: Any = None
        self._reset()

    def _reset(self) -> None:
        self._state: npt.NDArray[np.float32] | None = None
        self._context: npt.NDArray[np.float32] | None = None
        self._pending: list[npt.NDArray[np.float32]] = []
        self._resampler: Resampler | None = None
        self._triggered = False
        self._silence_samples = 0
        self._processed = 0

    def initialize(self) -> None:
        """Load the ONNX model into an onnxruntime session (CPU)."""
        try:
            import onnxruntime
        except ImportError as exc:
            raise RuntimeError(f"SileroVADNode needs onnxruntime: {_INSTALL}") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(silero_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def cleanup(self) -> None:
        """Drop the session and the stream state."""
        self._session = None
        self._reset()

    def process(self, data: Any) -> Iterator[Any]:
        if not isinstance(data, Audio):
            yield data
            return
        if self._session is None:
            self.initialize()
        yield from self._detect(self._mono(data))
        yield data

    def _mono(self, audio: Audio) -> npt.NDArray[np.float32]:
        planar = audio.samples.reshape(audio.frames, audio.channels)
        if audio.sample_rate != self.sampling_rate:
            resampler = self._resampler
            if resampler is None or (resampler.source_rate, resampler.channels) != (
                audio.sample_rate,
                audio.channels,
            ):
                resampler = Resampler(
                    audio.sample_rate, self.sampling_rate, audio.channels, "medium"
                )
                self._resampler = resampler
            planar = resampler.process(planar)
        return planar.mean(axis=1, dtype="float32") if audio.channels > 1 else planar[:, 0]

    def _detect(self, mono: npt.NDArray[np.float32]) -> Iterator[dict[str, Any]]:
        import numpy as np

        window, context = _WINDOW[self.sampling_rate], _CONTEXT[self.sampling_rate]
        if self._state is None or self._context is None:
            self._state = np.zeros((2, 1, 128), dtype=np.float32)
            self._context = np.zeros(context, dtype=np.float32)
        self._pending.append(mono)
        buffered = np.concatenate(self._pending)
        whole = (buffered.size // window) * window
        rate = np.array(self.sampling_rate, dtype=np.int64)
        for start in range(0, whole, window):
            frame = np.concatenate([self._context, buffered[start : start + window]])[None, :]
            output, self._state = self._session.run(
                None, {"input": frame, "state": self._state, "sr": rate}
            )
            self._context = frame[0, -context:]
            self._processed += window
            yield self._event(float(output[0, 0]), window)
        rest = buffered[whole:]
        self._pending = [rest] if rest.size else []

    def _event(self, probability: float, window: int) -> dict[str, Any]:
        speech = probability >= self.threshold
        start = end = False
        if speech:
            start = not self._triggered
            self._triggered = True
            self._silence_samples = 0
        elif self._triggered:
            self._silence_samples += window
            if self._silence_samples * 1000 >= self.min_silence_duration_ms * self.sampling_rate:
                end = True
                self._triggered = False
                self._silence_samples = 0
        return {
            "has_speech": speech,
            "speech_probability": probability,
            "is_speech_start": start,
            "is_speech_end": end,
            "timestamp_ms": self._processed * 1000 // self.sampling_rate,
        }
