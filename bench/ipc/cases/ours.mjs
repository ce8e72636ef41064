// Our side: the transport-ipc worker channel.
//   rt <bytes> <reps>        round trips of one item through a PassThrough node (one `process` request each)
//   cold <reps> <pickle>     spawn a worker and load a shipped instance (load_instance) until `loaded`
//   chain <n>                n ints through a fused 2-node chain with the executor's batching (start-up included)
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import { Executor, NodeRef, Tensor } from "@remotemedia/core"
import { IpcTransport, WorkerProcess } from "@remotemedia/transport-ipc"
import { median, now, python, report, since } from "./common.mjs"

const [mode, a, b] = process.argv.slice(2)
const start = WorkerProcess.Worker.start({ python, nodeIds: ["p"], stderrTailLines: 10, startTimeoutMs: 30_000 })

if (mode === "rt") {
  const bytes = Number(a)
  const reps = Number(b)
  const item = bytes <= 64 ? "0123456789abcdef".repeat(Math.max(1, bytes / 16)).slice(0, bytes) : new Tensor(new Float32Array(bytes / 4).fill(0.5))
  const ns = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const w = yield* Effect.acquireRelease(start, (w) => w.shutdown(2_000))
    yield* w.request({ op: "load_manifest", slot: 0, node_id: "p", node_type: "PassThrough", params: {} }, "load")
    const check = yield* w.request({ op: "process", slots: [0], items: [item], first_index: 0 }, "bench")
    const out = check.outputs?.[0]
    if (check.op !== "result" || (bytes > 64 ? out.data.length !== bytes / 4 : out !== item)) throw new Error(`wrong reply ${JSON.stringify(check).slice(0, 200)}`)
    // The loop runs inside one fiber, as the executor's requests do.
    const warm = Math.max(3, Math.min(200, reps / 10))
    const times = []
    for (let i = 0; i < warm + reps; i++) {
      const t0 = now()
      yield* w.request({ op: "process", slots: [0], items: [item], first_index: i }, "bench")
      if (i >= warm) times.push(since(t0))
    }
    return median(times)
  })))
  report({ ns })
} else if (mode === "cold") {
  const reps = Number(a)
  const data = new Uint8Array(readFileSync(b))
  const times = []
  for (let i = 0; i < reps + 1; i++) {
    const t0 = now()
    const w = await Effect.runPromise(start)
    const r = await Effect.runPromise(w.request({ op: "load_instance", slot: 0, node_id: "g", class_name: "Gain", data }, "load"))
    const t = since(t0)
    if (r.op !== "loaded") throw new Error(`load failed: ${JSON.stringify(r)}`)
    await Effect.runPromise(w.shutdown(2_000))
    if (i > 0) times.push(t)
  }
  report({ ns: median(times) })
} else if (mode === "chain") {
  const n = Number(a)
  const items = Array.from({ length: n }, (_, i) => i)
  const chain = [NodeRef.manifestNode("a", "PassThrough"), NodeRef.manifestNode("b", "CalculatorNode", { operation: "add", operand: 1 })]
  const t0 = now()
  const out = await Effect.runPromise(Executor.executePipelineWithInput(chain, items).pipe(Effect.provide(IpcTransport.layer({ python }))))
  const total = since(t0)
  if (out.length !== n || out[n - 1] !== n) throw new Error("wrong outputs")
  report({ ns: total / n })
} else throw new Error(`unknown mode ${mode}`)
