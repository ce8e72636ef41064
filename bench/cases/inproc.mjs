// Our side of the in-process benchmarks: Python nodes through executePipelineWithInput on the embedded transport.
// Usage: node cases/inproc.mjs <calls|manifest|buffer|rss|small|latency> <n|bytes> [...] ; prints one JSON line.
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Audio, executePipelineWithInput, streamPipeline, Tensor } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const here = dirname(fileURLToPath(import.meta.url))
const python = start({ paths: [join(here, "..")] })
const nodes = await python.import("bench_nodes")
const options = { transport: "inproc" }

const [mode, arg] = process.argv.slice(2)
const n = Number(arg)
const perItem = async (pipeline, items) => {
  await executePipelineWithInput(pipeline, items.slice(0, Math.min(items.length, 1000)), options)
  const t0 = process.hrtime.bigint()
  const out = await executePipelineWithInput(pipeline, items, options)
  const ns = Number(process.hrtime.bigint() - t0)
  if (out.length !== items.length) throw new Error(`expected ${items.length} outputs, got ${out.length}`)
  return { ns, out }
}

if (mode === "calls" || mode === "manifest") {
  const items = Array.from({ length: n }, (_, i) => i)
  const counter = await (await nodes.get("BenchCounter")).call()
  const pipeline = mode === "calls" ? [counter] : [{ id: "counter", node_type: "BenchCounter", params: {} }]
  const { ns } = await perItem(pipeline, items)
  console.log(JSON.stringify({ case: `inproc ${mode === "calls" ? "instance" : "manifest"} node`, items: n, nsPerItem: ns / n }))
} else if (mode === "buffer") {
  const identity = await (await nodes.get("BenchIdentity")).call()
  const data = new Float32Array(n / 4).fill(0.5)
  // The same buffer every time: a zero-copy round trip allocates nothing per item, so 200 reps fit at any size.
  const reps = 200
  const items = Array.from({ length: reps }, () => new Tensor(data))
  const { ns, out } = await perItem([identity], items)
  if (!(out[0] instanceof Tensor) || out[0].data.length !== data.length) throw new Error("identity did not return the tensor")
  console.log(JSON.stringify({ case: "inproc identity buffer", bytes: n, reps, nsPerItem: ns / reps }))
} else if (mode === "small") {
  // small <n> <audio|tensor|tensor1k> <stream|batch>: n small items through a node returning 0 (audio: 320 float32
  // samples, 20 ms at 16 kHz; tensor: the same samples as a Tensor; tensor1k: 256 float32 through an identity node).
  const [, , kind, api] = process.argv.slice(2)
  const node = await (await nodes.get(kind === "tensor1k" ? "BenchIdentity" : "BenchZero")).call()
  const samples = new Float32Array(kind === "tensor1k" ? 256 : 320).fill(0.25)
  const item = kind === "audio" ? new Audio(samples, 16_000) : new Tensor(samples)
  const items = Array.from({ length: n }, () => item)
  const source = async function*() {
    for (const x of items) yield x
  }
  const time = async () => {
    const t0 = process.hrtime.bigint()
    let count = 0
    if (api === "stream") for await (const _ of streamPipeline([node], source(), options)) count++
    else count = (await executePipelineWithInput([node], items, options)).length
    if (count !== n) throw new Error(`expected ${n} outputs, got ${count}`)
    return Number(process.hrtime.bigint() - t0)
  }
  await time()
  console.log(JSON.stringify({ case: `inproc ${kind} ${api}`, items: n, nsPerItem: (await time()) / n }))
} else if (mode === "latency") {
  // One item at a time through an idle streaming pipeline: the next item is sent once the previous output arrived.
  const node = await (await nodes.get("BenchZero")).call()
  const item = new Audio(new Float32Array(320).fill(0.25), 16_000)
  let release = () => {}
  const source = async function*() {
    for (let i = 0; i < n + 100; i++) {
      yield item
      await new Promise((resolve) => (release = resolve))
    }
  }
  const times = []
  let t0 = process.hrtime.bigint()
  let i = 0
  for await (const _ of streamPipeline([node], source(), options)) {
    if (i++ >= 100) times.push(Number(process.hrtime.bigint() - t0))
    t0 = process.hrtime.bigint()
    release()
  }
  times.sort((a, b) => a - b)
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))]
  console.log(JSON.stringify({ case: "inproc single-item latency", items: n, p50: q(0.5), p99: q(0.99) }))
} else if (mode === "rss") {
  const counter = await (await nodes.get("BenchCounter")).call()
  const batch = Array.from({ length: 100_000 }, (_, i) => i)
  const samples = []
  for (let round = 0; round < n / batch.length; round++) {
    await executePipelineWithInput([counter], batch, options)
    globalThis.gc?.()
    samples.push(process.memoryUsage().rss)
  }
  console.log(JSON.stringify({ case: "inproc rss", calls: n, rssMiB: samples.map((b) => Math.round(b / 2 ** 20)) }))
} else {
  throw new Error(`unknown mode ${mode}`)
}
