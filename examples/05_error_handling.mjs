// Error handling from TypeScript: a node's exception, a worker crash and a bad manifest, each a typed error.
// FailOn raises ZeroDivisionError on 0 -> NodeProcessError (node id, item index, the Python error as cause); CrashOn
// ends its worker with os._exit -> the run fails naming the worker's exit code (ipc/iceoryx only: in-process it would
// end this process); a manifest with an unknown node type or a missing field -> the error with the JSON path.
// Run: node examples/05_error_handling.mjs ipc   (or iceoryx, inproc)
import { executePipelineWithInput } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const attempt = async (label, pipeline, items) => {
  try {
    await executePipelineWithInput(pipeline, items, { transport })
  } catch (error) {
    console.log(`${label}: ${error._tag}: ${error.message.split(" Known types:")[0]}`)
    return error
  }
}

console.log(`transport: ${transport}`)
const failed = await attempt("node exception", [await create("example_nodes", "FailOn", { name: "hundred_over" })], [4, 0, 5])
console.log(`  node ${failed.nodeId}, item ${failed.itemIndex}, cause ${failed.cause.name}`)
if (transport === "inproc") console.log("worker crash: needs a worker process (run on ipc or iceoryx)")
else await attempt("worker crash", [await create("example_nodes", "CrashOn", { name: "crasher", crash_on: 3 })], [1, 2, 3, 4])
await attempt("bad manifest (unknown node type)", { version: "v1", nodes: [{ id: "x", node_type: "NoSuchNode" }] }, [1])
await attempt("bad manifest (node without node_type)", { version: "v1", nodes: [{ id: "x" }] }, [1])
