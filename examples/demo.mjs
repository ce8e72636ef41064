// The README demo: a streaming audio pipeline of TypeScript nodes on @remotemedia/core (Python nodes join in later issues).
import { Audio, executePipeline } from "@remotemedia/core"

const sampleRate = 16_000
const chunkFrames = 1_600 // 100 ms

/** Source: five 100 ms chunks of a 440 Hz tone at half scale. */
const tone = {
  id: "tone",
  isSource: true,
  *process() {
    for (let c = 0; c < 5; c++) {
      const samples = new Float32Array(chunkFrames)
      for (let i = 0; i < chunkFrames; i++) {
        samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (c * chunkFrames + i)) / sampleRate)
      }
      yield new Audio(samples, sampleRate, 1)
    }
  }
}

/** Gain in decibels, clipped to [-1, 1]. */
const gain = (db) => ({
  id: `gain_${db}dB`,
  process: (audio) => {
    const k = 10 ** (db / 20)
    return new Audio(audio.samples.map((s) => Math.max(-1, Math.min(1, s * k))), audio.sampleRate, audio.channels)
  }
})

/** Level meter: RMS and peak in dBFS per chunk. */
const meter = {
  id: "meter",
  process: (audio) => {
    let sum = 0
    let peak = 0
    for (const s of audio.samples) {
      sum += s * s
      peak = Math.max(peak, Math.abs(s))
    }
    const dbfs = (v) => Number((20 * Math.log10(v)).toFixed(2))
    return { ms: Math.round(audio.durationSeconds * 1000), rmsDbfs: dbfs(Math.sqrt(sum / audio.samples.length)), peakDbfs: dbfs(peak) }
  }
}

const { outputs, metrics } = await executePipeline([tone, gain(6), meter], { metrics: true, name: "tone-levels" })
console.log("outputs:")
for (const o of outputs) console.log(" ", JSON.stringify(o))
console.log("metrics:")
for (const n of metrics.nodes) {
  console.log(`  ${n.nodeId.padEnd(10)} in=${n.itemsIn} out=${n.itemsOut} p50=${n.processTime.p50.toFixed(3)}ms p99=${n.processTime.p99.toFixed(3)}ms`)
}
