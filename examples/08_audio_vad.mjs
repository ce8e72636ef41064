// An audio pipeline with a real model, from TypeScript: Silero VAD finds the speech in the committed speech clip.
// MediaReaderNode (manifest, decodes examples/speech_clip.wav with PyAV) -> AudioChunkerNode (manifest, 100 ms chunks)
// -> SpeechDetector, a stateful Python instance built here whose initialize() loads the Silero VAD ONNX network into an
// onnxruntime session. On ipc/iceoryx cleanup() releases the session before the node is pickled and the worker loads
// it again ("load #2 in the worker"); on inproc the caller's loaded object runs as is ("load #1 in the caller").
// The clip's speech is at 0.6-1.6 s and 2.5-3.2 s (see make_speech_clip.py).
// Run: node examples/08_audio_vad.mjs [inproc|ipc|iceoryx]
import { fileURLToPath } from "node:url"
import { executePipeline } from "@remotemedia/core"
import { create, python, transport } from "./_common.mjs"

const vad = await python.import("vad_node")
const clip = fileURLToPath(new URL("speech_clip.wav", import.meta.url))
const detector = await create("vad_node", "SpeechDetector", { name: "vad", threshold: 0.5 })
await detector.callMethod("initialize") // warm: the model is loaded here, in the caller
try {
  await python.eval("__import__('pickle').dumps(d)", { d: detector })
} catch (error) {
  console.log(`pickling the loaded detector: ${error.pyType}: ${error.pyMessage}`)
}

const events = await executePipeline(
  [
    { id: "reader", node_type: "MediaReaderNode", params: { path: clip } },
    { id: "chunker", node_type: "AudioChunkerNode", params: { chunk_size: 1600 } },
    detector
  ],
  { transport }
)
console.log(`transport: ${transport}`)
const models = [...new Set(events.map((e) => e.model))].sort()
console.log(`${events.length} windows of 32 ms; model used: [${models.map((m) => `'${m}'`).join(", ")}]`)
console.log(`speech timeline (one char per window): ${events.map((e) => (e.speech ? "#" : ".")).join("")}`)
for (const [start, end] of await vad.callMethodJs("speech_segments", [events])) {
  console.log(`speech from ${(start / 1000).toFixed(2)} s to ${(end / 1000).toFixed(2)} s`)
}
const [loads, windows, released] = await python.evalJs("[d.loads, d.windows, d.session is None]", { d: detector })
console.log(`the caller's detector afterwards: loads=${loads}, windows=${windows}, model released by cleanup(): ${released ? "True" : "False"}`)
