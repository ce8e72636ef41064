// One measurement of transport-iceoryx or transport-ipc through the transports' public contract (run by run.mjs).
//   rt <transport> <bytes> <reps>   round trips of one float32 Tensor of <bytes> through a PassThrough node (one stage
//                                   call, one `process` request each); the median in ns
//   zc fresh|reuse <bytes> <reps>   the same on transport-iceoryx without a copy: the Tensor is allocated in shared memory
//                                   (IceoryxTransport.tensor; a fresh one per round trip, or one reused) and comes back
//                                   as a view of that same memory (the node returns its input)
//   stream <transport> <n>          n small items (16 B strings) streamed through PassThrough by the executor, on a warm
//                                   pooled worker (a first run starts it); the per-item cost in ns
import { Effect } from "effect"
import { executePipelineWithInput, NodeRef, Tensor } from "@remotemedia/core"
import { IceoryxTransport } from "@remotemedia/transport-iceoryx"
import { IpcTransport } from "@remotemedia/transport-ipc"
import { medianRoundTrip, now, python, report, since } from "../ipc/cases/common.mjs"
import { median } from "../stats.mjs"

const [mode, name, a, b] = process.argv.slice(2)
const transports = { ipc: IpcTransport, iceoryx: IceoryxTransport }
const Transport = transports[name]
if (Transport === undefined && mode !== "zc") throw new Error(`unknown transport ${name}`)

if (mode === "rt") {
  const bytes = Number(a)
  const reps = Number(b)
  const item = new Tensor(new Float32Array(bytes / 4).fill(0.5))
  const ns = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* Transport.make({ python })
    const [stage] = yield* transport.load([{ id: "p", ref: NodeRef.manifestNode("p", "PassThrough") }], () => {})
    const [out] = yield* stage.process([item], { firstIndex: 0 })
    if (out.data.length !== bytes / 4 || out.data[bytes / 4 - 1] !== 0.5) throw new Error("wrong output")
    return yield* medianRoundTrip(stage, item, reps)
  })))
  report({ ns })
} else if (mode === "zc") {
  const [fresh, bytes, reps] = [name === "fresh", Number(a), Number(b)]
  const n = bytes / 4
  const ns = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const transport = yield* IceoryxTransport.make({ python })
    const [stage] = yield* transport.load([{ id: "p", ref: NodeRef.manifestNode("p", "PassThrough") }], () => {})
    const warm = Math.max(3, Math.min(200, reps / 10))
    const times = []
    let shared = 0
    const reused = IceoryxTransport.tensor(transport, "float32", [n])
    for (let i = 0; i < warm + reps; i++) {
      const item = fresh ? IceoryxTransport.tensor(transport, "float32", [n]) : reused
      item.data[0] = item.data[n - 1] = i // the producer writes in place (not timed: it writes its data anyway)
      const t0 = now()
      const [out] = yield* stage.process([item], { firstIndex: i + 1 })
      if (i >= warm) times.push(since(t0))
      if (out.data[n - 1] !== i) throw new Error("wrong output")
      if (out.data.buffer === item.data.buffer) shared++
    }
    if (bytes >= 16384 && shared < (warm + reps) / 2) process.stderr.write(`zc ${name} ${bytes}: only ${shared} of ${warm + reps} round trips zero-copy\n`)
    return median(times)
  })))
  report({ ns })
} else if (mode === "stream") {
  const n = Number(a)
  const items = Array.from({ length: n }, (_, i) => `item ${String(i).padStart(10, "0")}`)
  const transport = await Transport.create({ python, pool: { size: 1 } })
  const node = [NodeRef.manifestNode("p", "PassThrough")]
  await executePipelineWithInput(node, items.slice(0, 100), { transport }) // starts the pooled worker
  const t0 = now()
  const out = await executePipelineWithInput(node, items, { transport })
  const total = since(t0)
  if (out.length !== n || out[n - 1] !== items[n - 1]) throw new Error("wrong outputs")
  report({ ns: total / n })
} else {
  throw new Error(`unknown mode ${mode}`)
}
