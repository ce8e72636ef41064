// The README demo: a TypeScript source, a manifest node and a stateful Python instance on the default (in-process) transport.
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { Audio, executePipeline } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const sampleRate = 16_000
const chunkFrames = 1_600 // 100 ms

/** TypeScript source: five 100 ms chunks of a 440 Hz tone, getting louder. */
const tone = {
  id: "tone",
  isSource: true,
  *process() {
    for (let c = 0; c < 5; c++) {
      const samples = new Float32Array(chunkFrames)
      for (let i = 0; i < chunkFrames; i++) {
        samples[i] = 0.1 * (c + 1) * Math.sin((2 * Math.PI * 440 * (c * chunkFrames + i)) / sampleRate)
      }
      yield new Audio(samples, sampleRate, 1)
    }
  }
}

// A live Python object, configured here and run as that exact object (never rebuilt from a manifest).
const python = start({ paths: [dirname(fileURLToPath(import.meta.url))] })
const LevelMeter = await (await python.import("demo_nodes")).get("LevelMeter")
const meter = await LevelMeter.call([], { name: "meter" })

const { outputs, metrics } = await executePipeline(
  [
    tone,
    { id: "gain", node_type: "AudioGainNode", params: { gain_db: 6 } }, // a manifest node, built by the Python registry
    meter
  ],
  { metrics: true, name: "levels" }
)

console.log("outputs:")
for (const o of outputs) console.log(" ", JSON.stringify(o))
console.log("the caller's own meter object afterwards:", {
  chunks: await meter.getJs("chunks"),
  loudestDbfs: Number((await meter.getJs("loudest_dbfs")).toFixed(2))
})
console.log("metrics:")
for (const n of metrics.nodes) {
  console.log(`  ${n.nodeId.padEnd(8)} in=${n.itemsIn} out=${n.itemsOut} p50=${n.processTime.p50.toFixed(3)}ms p99=${n.processTime.p99.toFixed(3)}ms`)
}
