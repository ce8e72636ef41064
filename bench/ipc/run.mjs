// transport-ipc benchmarks, each beside its baseline: a raw length-prefixed echo over the same
// pipes (Python stdlib only), which is the floor for any stdio protocol.
// Usage: node bench/ipc/run.mjs [--quick]   (needs `npm run build` for @remotemedia/transport-ipc)
import { spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Executor, NodeRef, Tensor } from "@remotemedia/core"
import { Interpreter, IpcTransport, WorkerProcess } from "@remotemedia/transport-ipc"

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes("--quick")
const python = Interpreter.findPython({}, process.env, join(here, "../..")).python
const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Round trips of `bytes`-sized frames through the stdlib echo. */
const baseline = async (bytes, reps) => {
  const child = spawn(python, [join(here, "echo_baseline.py")], { stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] })
  const out = child.stdio[3]
  const frame = Buffer.alloc(4 + bytes, 1)
  frame.writeUInt32BE(bytes, 0)
  let got = 0
  let resolve
  child.stdio[4].on("data", (chunk) => {
    got += chunk.length
    if (got >= frame.length) {
      got -= frame.length
      resolve()
    }
  })
  const times = []
  for (let i = 0; i < reps + 3; i++) {
    const done = new Promise((r) => (resolve = r))
    const t0 = process.hrtime.bigint()
    out.write(frame)
    await done
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t0))
  }
  child.kill()
  return median(times)
}

/** Round trips of one item through a PassThrough node in a worker (one `process` request each). */
const worker = async (item, reps) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const w = yield* Effect.acquireRelease(
      WorkerProcess.Worker.start({ python, nodeIds: ["p"], stderrTailLines: 10, startTimeoutMs: 30_000 }),
      (w) => w.shutdown(2_000)
    )
    yield* w.request({ op: "load_manifest", slot: 0, node_id: "p", node_type: "PassThrough", params: {} }, "load")
    const times = []
    for (let i = 0; i < reps + 3; i++) {
      const t0 = process.hrtime.bigint()
      yield* w.request({ op: "process", slots: [0], items: [item], first_index: i }, "bench")
      if (i >= 3) times.push(Number(process.hrtime.bigint() - t0))
    }
    return median(times)
  })))

const rows = []
for (const [label, bytes, item, reps] of [
  ["16 B string", 16, "0123456789abcdef", quick ? 2_000 : 10_000],
  ["1 MiB float32 tensor", 1 << 20, new Tensor(new Float32Array(1 << 18).fill(0.5)), quick ? 50 : 300],
  ["64 MiB float32 tensor", 64 << 20, new Tensor(new Float32Array(16 << 20).fill(0.5)), quick ? 3 : 10]
]) {
  const floor = await baseline(bytes, reps)
  const ours = await worker(item, reps)
  rows.push({ case: `round trip, ${label}`, ours: fmt(ours), baseline: fmt(floor), ratio: `${(ours / floor).toFixed(2)}x` })
}

// Throughput with batching: many small items through a fused two-node chain in one worker.
const n = quick ? 20_000 : 200_000
const items = Array.from({ length: n }, (_, i) => i)
const chain = [NodeRef.manifestNode("a", "PassThrough"), NodeRef.manifestNode("b", "CalculatorNode", { operation: "add", operand: 1 })]
const layer = IpcTransport.layer({ python })
const t0 = process.hrtime.bigint()
const out = await Effect.runPromise(Executor.executePipelineWithInput(chain, items).pipe(Effect.provide(layer)))
const total = Number(process.hrtime.bigint() - t0)
if (out.length !== n || out[n - 1] !== n) throw new Error("wrong outputs")
const floorSmall = await baseline(16, quick ? 2_000 : 10_000)
rows.push({ case: `per item, fused 2-node chain, ${n} ints (incl. start-up)`, ours: fmt(total / n), baseline: fmt(floorSmall), ratio: `${(total / n / floorSmall).toFixed(3)}x` })

for (const r of rows) console.log(`${r.case.padEnd(58)} ours ${r.ours.padStart(10)}  raw echo ${r.baseline.padStart(10)}  ${r.ratio}`)
