// Our side: transport-ipc through its public contract (IpcTransport.make, a stage from transport.load).
//   rt <bytes> <reps>        round trips of one item through a PassThrough node (one stage call, one `process` request each)
//   cold <reps> <pickle>     spawn a worker and load a shipped instance until it is initialized
//   chain <n>                n ints through a fused 2-node chain with the executor's batching (start-up included)
//   short <reps>             one short run (executePipelineWithInput, one manifest node, one item) with a cold start and
//                            with a warm pool (pool: { size: 1 }), alternated in this one process; reports both medians
//   burst <n> <size>         n concurrent short runs on one transport, with a pool of `size` (0: no pool); the wall time
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import { executePipelineWithInput, Executor, NodeRef, Tensor } from "@remotemedia/core"
import { IpcTransport } from "@remotemedia/transport-ipc"
import { median, medianRoundTrip, now, python, report, since } from "./common.mjs"

const [mode, a, b] = process.argv.slice(2)
const ignoreCleanup = () => {}

/** Loads one node through the transport's public contract and returns its stage (in the current Scope). */
const loadStage = (transport, id, ref) =>
  Effect.map(transport.load([{ id, ref }], ignoreCleanup), (stages) => stages[0])

if (mode === "rt") {
  const bytes = Number(a)
  const reps = Number(b)
  const item = bytes <= 64 ? "0123456789abcdef".repeat(Math.max(1, bytes / 16)).slice(0, bytes) : new Tensor(new Float32Array(bytes / 4).fill(0.5))
  const ns = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* IpcTransport.make({ python })
    const stage = yield* loadStage(transport, "p", NodeRef.manifestNode("p", "PassThrough"))
    const [out] = yield* stage.process([item], { firstIndex: 0 })
    if (bytes > 64 ? out.data.length !== bytes / 4 : out !== item) throw new Error(`wrong output ${String(out).slice(0, 200)}`)
    return yield* medianRoundTrip(stage, item, reps)
  })))
  report({ ns })
} else if (mode === "cold") {
  const reps = Number(a)
  const ref = NodeRef.serializedInstance({ bytes: new Uint8Array(readFileSync(b)), name: "g", className: "Gain" })
  const transport = await Effect.runPromise(IpcTransport.make({ python }))
  const times = []
  for (let i = 0; i < reps + 1; i++) {
    // Spawn a worker and load the shipped instance until it is initialized; the scope's close shuts the worker down.
    const t = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const t0 = now()
      yield* loadStage(transport, "g", ref)
      return since(t0)
    })))
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
} else if (mode === "short") {
  const reps = Number(a)
  const cold = await IpcTransport.create({ python })
  const warm = await IpcTransport.create({ python, pool: { size: 1 } })
  const once = async (transport) => {
    const t0 = now()
    const [out] = await executePipelineWithInput([NodeRef.manifestNode("p", "PassThrough")], ["x"], { transport })
    const t = since(t0)
    if (out !== "x") throw new Error(`wrong output ${String(out)}`)
    return t
  }
  await once(cold) // the first run of each pays the one-time costs in this process; the pool's worker starts here
  await once(warm)
  const colds = []
  const warms = []
  for (let i = 0; i < reps; i++) {
    colds.push(await once(cold))
    warms.push(await once(warm))
  }
  report({ ns: median(warms), cold: median(colds) })
} else if (mode === "burst") {
  const n = Number(a)
  const size = Number(b)
  const transport = await IpcTransport.create({ python, ...(size > 0 ? { pool: { size } } : {}) })
  const node = [NodeRef.manifestNode("p", "PassThrough")]
  const t0 = now()
  const outs = await Promise.all(Array.from({ length: n }, (_, i) => executePipelineWithInput(node, [i], { transport })))
  const total = since(t0)
  if (outs.some((out, i) => out[0] !== i)) throw new Error("wrong outputs")
  report({ ns: total })
} else throw new Error(`unknown mode ${mode}`)
