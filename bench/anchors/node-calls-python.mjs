// Anchor: node-calls-python (a sync/async CPython embedding for Node) timing the same Python methods our benchmarks run.
// Usage: node anchors/node-calls-python.mjs <calls|buffer|small|latency> <n|bytes> [...] ; prints one JSON line.
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const { interpreter: py } = require("node-calls-python")

const venv = process.env.REMOTEMEDIA_VENV ?? join(here, "..", "..", "python", ".venv")
py.addImportPath(join(venv, "lib", "python3.11", "site-packages"))
py.addImportPath(join(here, "..", "..", "python"))
const mod = py.importSync(join(here, "..", "bench_nodes.py"), false)

const [mode, arg] = process.argv.slice(2)
const n = Number(arg)
if (mode === "calls") {
  const node = py.createSync(mod, "BenchCounter")
  for (let i = 0; i < 1000; i++) py.callSync(node, "process", i)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) py.callSync(node, "process", i)
  const ns = Number(process.hrtime.bigint() - t0)
  console.log(JSON.stringify({ anchor: "node-calls-python callSync", calls: n, nsPerCall: ns / n }))
} else if (mode === "buffer") {
  const node = py.createSync(mod, "BenchIdentity")
  const data = new Float32Array(n / 4).fill(0.5)
  const reps = Math.max(3, Math.min(200, Math.floor((64 << 20) / n)))
  py.callSync(node, "process", data)
  const t0 = process.hrtime.bigint()
  let out
  for (let i = 0; i < reps; i++) out = py.callSync(node, "process", data)
  const ns = Number(process.hrtime.bigint() - t0)
  // node-calls-python copies a typed array into Python bytes and copies bytes back into an ArrayBuffer
  if (!(out instanceof ArrayBuffer) || out.byteLength !== n) throw new Error(`unexpected result ${out}`)
  console.log(JSON.stringify({ anchor: "node-calls-python callSync buffer", bytes: n, reps, nsPerCall: ns / reps }))
} else if (mode === "small") {
  // small <n> <audio|tensor|tensor1k>: callSync with the same samples our small cases send (it copies them).
  const kind = process.argv[4]
  const node = py.createSync(mod, kind === "tensor1k" ? "BenchIdentity" : "BenchZero")
  const data = new Float32Array(kind === "tensor1k" ? 256 : 320).fill(0.25)
  for (let i = 0; i < 1000; i++) py.callSync(node, "process", data)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) py.callSync(node, "process", data)
  console.log(JSON.stringify({ anchor: `node-calls-python callSync ${kind}`, calls: n, nsPerCall: Number(process.hrtime.bigint() - t0) / n }))
} else if (mode === "latency") {
  const node = py.createSync(mod, "BenchZero")
  const data = new Float32Array(320).fill(0.25)
  const times = []
  for (let i = 0; i < n + 100; i++) {
    const t0 = process.hrtime.bigint()
    py.callSync(node, "process", data)
    if (i >= 100) times.push(Number(process.hrtime.bigint() - t0))
  }
  times.sort((a, b) => a - b)
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))]
  console.log(JSON.stringify({ anchor: "node-calls-python single callSync latency", calls: n, p50: q(0.5), p99: q(0.99) }))
} else {
  throw new Error(`unknown mode ${mode}`)
}
