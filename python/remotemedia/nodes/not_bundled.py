"""Node types of upstream's library that are not shipped here: naming one says so and how to add it."""

from __future__ import annotations

from ..registry import declare_not_bundled

declare_not_bundled(
    (
        "WhisperSTT",
        "WhisperNode",
        "RustWhisperNode",
        "RustWhisperTranscriber",
        "WhisperXNode",
        "WhisperXTranscriber",
        "HFWhisperNode",
        "WhisperTranscriptionNode",
    ),
    "Whisper speech-to-text model",
)
declare_not_bundled(
    ("KokoroTTSNode", "KokoroTTS", "VibeVoiceTTSNode", "VibeVoiceTTS"),
    "text-to-speech model",
)
declare_not_bundled(("LFM2AudioNode", "LFM2Audio"), "LFM2-Audio speech/text model")
declare_not_bundled(("OllamaLLM",), "LLM served by Ollama")
declare_not_bundled(("SimplePyTorchNode",), "PyTorch test model")
declare_not_bundled(
    ("RemotePipelineNode", "RemotePipeline"),
    "runs a sub-pipeline on a remote remotemedia server",
)
declare_not_bundled(
    ("PythonNode",),
    "upstream's generic wrapper around a Python class; name the class itself instead",
)
