"""An audio pipeline with a real model: Silero VAD finds the speech in a committed speech clip.

Shows: MediaReaderNode (manifest, decodes examples/speech_clip.wav with PyAV) -> AudioChunkerNode
(manifest, 100 ms chunks) -> SpeechDetector, a stateful instance whose initialize() loads the
Silero VAD ONNX network into an onnxruntime session. The session cannot be pickled (shown by
trying); on ipc/iceoryx the transport's cleanup() releases it and the worker's initialize()
loads it again ("load #2 in the worker"); on inproc the caller's loaded object runs as is.
The clip's speech is at 0.6-1.6 s and 2.5-3.2 s (see make_speech_clip.py).

Run: `npx remotemedia run examples/08_audio_vad.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio
import pickle

from remotemedia import execute_pipeline

from example_nodes import chosen_transport
from vad_node import CLIP, SpeechDetector, speech_segments


async def main() -> None:
    transport = chosen_transport()
    detector = SpeechDetector(name="vad", threshold=0.5)
    detector.initialize()  # warm: the model is loaded here, in the caller
    try:
        pickle.dumps(detector)
    except TypeError as error:
        print(f"pickling the loaded detector: TypeError: {error}")

    reader = {"id": "reader", "node_type": "MediaReaderNode", "params": {"path": str(CLIP)}}
    chunker = {"id": "chunker", "node_type": "AudioChunkerNode", "params": {"chunk_size": 1600}}
    events = await execute_pipeline([reader, chunker, detector], transport=transport)
    print(f"transport: {transport}")
    print(f"{len(events)} windows of 32 ms; model used: {sorted({e['model'] for e in events})}")
    timeline = "".join("#" if e["speech"] else "." for e in events)
    print(f"speech timeline (one char per window): {timeline}")
    for start, end in speech_segments(events):
        print(f"speech from {start / 1000:.2f} s to {end / 1000:.2f} s")
    print(
        f"the caller's detector afterwards: loads={detector.loads}, windows={detector.windows},"
        f" model released by cleanup(): {detector.session is None}"
    )


if __name__ == "__main__":
    asyncio.run(main())
