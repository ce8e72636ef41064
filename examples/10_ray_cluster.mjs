// A pipeline on a Ray cluster, from TypeScript: a replicated stateless node feeding a stateful one, each as Ray actors.
// SpectrumPeak (CPU-heavy NumPy, `stateless = True`, `ray_options = {"replicas": 2, "num_cpus": 1}`) runs as two
// actors, each its own copy, the batch split between them in two contiguous halves; Tally (stateful) is one actor, so its
// count runs 1..8 in order. Items go actor to actor through Ray's object store; only Tally's outputs come back here, and
// the caller's Tally object is untouched (the actors ran pickled copies). With no RAY_ADDRESS, the driver starts a local
// Ray cluster of its own (a few seconds) and stops it at the end; other transports ignore `ray_options`.
// Run: node examples/10_ray_cluster.mjs [ray|ipc|inproc]   (default ray; RAY_ADDRESS=<head>:6379 for a real cluster)
import { executePipelineWithInput } from "@remotemedia/core"
import { create } from "./_common.mjs"

const transport = process.argv[2] || process.env.REMOTEMEDIA_TRANSPORT || "ray"
const spectrum = await create("example_nodes", "SpectrumPeak", { name: "spectrum" })
const tally = await create("example_nodes", "Tally", { name: "tally" })
const outputs = await executePipelineWithInput([spectrum, tally], [1, 2, 3, 4, 5, 6, 7, 8], { transport })
console.log(`transport: ${transport}`)
const copies = new Map()
for (const o of outputs) {
  if (!copies.has(o.pid)) copies.set(o.pid, `copy ${copies.size + 1}`)
  console.log(`seed ${o.seed}  peak ${String(o.peak).padStart(6)}  spectrum ${copies.get(o.pid)}  tally seen=${o.seen} total=${o.total}`)
}
console.log(`processes that ran spectrum: ${copies.size}`)
console.log(`the caller's tally afterwards: seen=${await tally.getJs("seen")} total=${await tally.getJs("total")}`)
