// Batch streaming with state, from TypeScript: a Python node gathering items into batches, with running totals.
// 10 readings -> AddNode (manifest, +0.5 calibration) -> BatchStats(size=4): an input completing a batch yields its
// stats, the others nothing; the open batch and the totals stay in the node (the last 2 readings stay open).
// Run: node examples/07_batch_streaming.mjs [inproc|ipc|iceoryx]
import { executePipelineWithInput } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const batcher = await create("example_nodes", "BatchStats", { name: "batcher", size: 4 })
const readings = [1.5, 2.5, 3.5, 0.5, 9.5, 4.5, 6.5, 7.5, 2.5, 1.5]
const outputs = await executePipelineWithInput(
  [{ id: "calibrate", node_type: "AddNode", params: { addend: 0.5 } }, batcher],
  readings,
  { transport }
)
console.log(`transport: ${transport}`)
console.log(`${readings.length} readings in, ${outputs.length} batches out`)
for (const o of outputs) console.log(`batch ${o.batch}: min=${o.min} max=${o.max} mean=${o.mean} running_total=${o.running_total}`)
