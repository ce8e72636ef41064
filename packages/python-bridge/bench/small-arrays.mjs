// Per-item cost of small typed arrays crossing into Python: runtime_host.process_batch of N items in one bridge call
// (a node returning 0), for plain numbers, Tensors and Audio of 320 float32, and Tensors of other sizes.
// Run after a build: node bench/small-arrays.mjs [n]
import { join, dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { Audio, Tensor } from "@remotemedia/core"
import { RuntimeHost, start } from "../dist/index.js"

const here = dirname(fileURLToPath(import.meta.url))
const py = start({ paths: [join(here, "../../../bench")] })
const nodes = await py.import("bench_nodes")
const node = await (await nodes.get("BenchZero")).call()
const host = await RuntimeHost.runtimeHost(py)
const n = Number(process.argv[2] ?? 20000)

const run = async (items) => {
  const [out] = await RuntimeHost.callJs(host, "process_batch", [node, items, 0], node)
  if (out.length !== items.length) throw new Error("short batch")
}
const time = async (label, make) => {
  const items = Array.from({ length: n }, (_, i) => make(i))
  await run(items)
  const samples = []
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint()
    await run(items)
    samples.push(Number(process.hrtime.bigint() - t0) / n / 1e3)
  }
  samples.sort((a, b) => a - b)
  console.log(`${label.padEnd(28)} median ${samples[2].toFixed(2)} µs/item  best ${samples[0].toFixed(2)}`)
}

await time("number", (i) => i)
const samples = new Float32Array(320).fill(0.25)
await time("Tensor 320 f32 (shared)", () => new Tensor(samples))
await time("Audio 320 f32 (shared)", () => new Audio(samples, 16_000))
await time("Tensor 320 f32 (own each)", () => new Tensor(new Float32Array(320)))
for (const bytes of [4096, 16384, 65536, 262144]) {
  const data = new Float32Array(bytes / 4)
  await time(`Tensor ${bytes} B (shared)`, () => new Tensor(data))
}
