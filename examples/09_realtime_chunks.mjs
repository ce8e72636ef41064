// Real-time-style chunked processing from TypeScript: the speech clip streamed at its own pace through Silero VAD.
// examples/speech_clip.wav is read here and sent as 32 ms chunks, one every 32 ms, into SpeechDetector (a Python
// instance whose initialize() loads the ONNX model; on ipc/iceoryx cleanup() releases it before the node is pickled and
// the worker loads it again); each window's result is printed with its latency since its chunk was sent (every 8th
// chunk), then the speech segments found (the clip has speech at 0.6-1.6 s and 2.5-3.2 s) and the latency summary.
// Run: node examples/09_realtime_chunks.mjs [inproc|ipc|iceoryx]
import { readFileSync } from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { Audio, streamPipeline } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const rate = 16_000
const chunk = 512 // 32 ms: one VAD window
const wav = readFileSync(new URL("speech_clip.wav", import.meta.url))
const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) / 2) // 16-bit mono PCM after the header

const sentAt = []
async function* microphone() {
  const t0 = performance.now()
  for (let i = 0; (i + 1) * chunk <= pcm.length; i++) {
    await sleep(Math.max(0, t0 + ((i + 1) * chunk * 1000) / rate - performance.now())) // "recorded" in real time
    sentAt.push(performance.now())
    yield new Audio(Float32Array.from(pcm.subarray(i * chunk, (i + 1) * chunk), (s) => s / 32768), rate, 1)
  }
}

const detector = await create("vad_node", "SpeechDetector", { name: "vad", threshold: 0.5 })
console.log(`transport: ${transport}`)
const latencies = []
const segments = []
let model = ""
for await (const e of streamPipeline([detector], microphone(), { transport })) {
  const latency = performance.now() - sentAt[e.window - 1]
  latencies.push(latency)
  model = e.model
  if (e.speech && (segments.length === 0 || segments.at(-1).end < e.end_ms - 32 - 200)) segments.push({ start: e.end_ms - 32, end: e.end_ms })
  else if (e.speech) segments.at(-1).end = e.end_ms
  if (e.window % 8 === 1) {
    console.log(`chunk ${String(e.window).padStart(3)} at ${(e.end_ms / 1000).toFixed(2)} s  ${e.speech ? "speech" : "quiet "}  p=${e.probability.toFixed(2)}  latency ${latency.toFixed(2).padStart(6)} ms`)
  }
}
for (const s of segments) console.log(`speech from ${(s.start / 1000).toFixed(2)} s to ${(s.end / 1000).toFixed(2)} s`)
latencies.sort((a, b) => a - b)
console.log(`${latencies.length} chunks; model: ${model}; latency median ${latencies[latencies.length >> 1].toFixed(2)} ms, max ${latencies.at(-1).toFixed(2)} ms`)
