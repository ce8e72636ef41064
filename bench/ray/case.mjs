// One measurement of transport-ray or transport-ipc through the transports' public contract (run by run.mjs; the Ray
// cluster's address comes from env RAY_BENCH_ADDRESS, the cluster run.mjs started).
//   cpu <replicas> <n> <reps> <size>   n items through BenchMatmul (ray_bench_nodes.py) on transport-ray with
//                                      { num_cpus: 1, replicas, stateless: true }, as one batch: a warm-up run
//                                      (2 items) starts the pooled driver (pool: { size: 1 }), then one timed run
//                                      (executePipelineWithInput of all n items: loads the node's actors, runs,
//                                      cleans up) and the same n items on a stage loaded beforehand (load and
//                                      process timed apart); reports { ns: the run, load, process }
//   stream <transport> <n>             n small items (16 B strings) through PassThrough by the executor on a warm
//                                      pooled worker (a first run of 100 starts it), as bench/iceoryx's `stream`;
//                                      reports { ns: per item of the run, stage: per item on a loaded stage, the
//                                      items in the executor's 1024-item batches, load excluded }
//   cold <transport>                   from making the transport to the first one-item run through PassThrough done
//                                      (ray: driver start, cluster connect, actor creation); reports { ns }
import { Effect } from "effect"
import { executePipelineWithInput, NodeRef } from "@remotemedia/core"
import { IpcTransport } from "@remotemedia/transport-ipc"
import { RayTransport } from "@remotemedia/transport-ray"
import { now, python, report, since } from "../ipc/cases/common.mjs"

const [mode, ...args] = process.argv.slice(2)
const address = process.env.RAY_BENCH_ADDRESS
if (!address) throw new Error("RAY_BENCH_ADDRESS is not set (run.mjs starts the cluster)")
const transports = { ipc: IpcTransport, ray: RayTransport }
const optionsOf = (name, extra = {}) => ({ python, imports: ["ray_bench_nodes"], ...(name === "ray" ? { address } : {}), ...extra })
const ignoreCleanup = () => {}
const timed = (effect) => Effect.gen(function*() {
  const t0 = now()
  const value = yield* effect
  return [value, since(t0)]
})

if (mode === "cpu") {
  const [replicas, n, reps, size] = args.map(Number)
  const ray = { num_cpus: 1, replicas, stateless: true }
  const node = NodeRef.manifestNode("w", "BenchMatmul", { reps, size, ray })
  const items = Array.from({ length: n }, (_, i) => i)
  const check = (out) => {
    if (out.length !== n || out.some((x, i) => Math.abs(x - i) > 1)) throw new Error(`wrong outputs ${JSON.stringify(out.slice(0, 5))}`)
  }
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* RayTransport.make(optionsOf("ray", { pool: { size: 1 } }))
    const run = (xs) => Effect.promise(() => executePipelineWithInput([node], xs, { transport }))
    yield* run(items.slice(0, 2))
    const [out, ns] = yield* timed(run(items))
    check(out)
    return yield* Effect.scoped(Effect.gen(function*() {
      const [[stage], load] = yield* timed(transport.load([{ id: "w", ref: node }], ignoreCleanup))
      const [outs, processNs] = yield* timed(stage.process(items, { firstIndex: 0 }))
      check(outs)
      return { ns, load, process: processNs }
    }))
  })))
  report(result)
} else if (mode === "stream") {
  const [name, count] = args
  const n = Number(count)
  const Transport = transports[name]
  const items = Array.from({ length: n }, (_, i) => `item ${String(i).padStart(10, "0")}`)
  const node = NodeRef.manifestNode("p", "PassThrough")
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* Transport.make(optionsOf(name, { pool: { size: 1 } }))
    const run = (xs) => Effect.promise(() => executePipelineWithInput([node], xs, { transport }))
    yield* run(items.slice(0, 100)) // starts the pooled worker
    const [out, total] = yield* timed(run(items))
    if (out.length !== n || out[n - 1] !== items[n - 1]) throw new Error("wrong outputs")
    return yield* Effect.scoped(Effect.gen(function*() {
      const [stage] = yield* transport.load([{ id: "p", ref: node }], ignoreCleanup)
      yield* stage.process(items.slice(0, 100), { firstIndex: 0 })
      const t0 = now()
      let last
      for (let i = 0; i < n; i += 1024) last = yield* stage.process(items.slice(i, i + 1024), { firstIndex: 100 + i })
      const stageNs = since(t0)
      if (last.at(-1) !== items[n - 1]) throw new Error("wrong stage outputs")
      return { ns: total / n, stage: stageNs / n }
    }))
  })))
  report(result)
} else if (mode === "cold") {
  const [name] = args
  const Transport = transports[name]
  const t0 = now()
  const out = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* Transport.make(optionsOf(name))
    return yield* Effect.promise(() => executePipelineWithInput([NodeRef.manifestNode("p", "PassThrough")], ["x"], { transport }))
  })))
  const ns = since(t0)
  if (out[0] !== "x") throw new Error(`wrong output ${String(out[0])}`)
  report({ ns })
} else {
  throw new Error(`unknown mode ${mode}`)
}
