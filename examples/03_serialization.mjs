// Serialization for multiprocess transports, from TypeScript: a Python instance shipped to a worker.
// WordTally keeps a SQLite connection (unpicklable) opened by initialize() and closed by cleanup(): the transport calls
// cleanup() here, pickles the node, and the worker's initialize() opens a new one (the lifecycle log in the outputs).
// EagerWordTally opens it in __init__: the run fails before any item with the SerializationError naming attribute 'db'.
// Run: node examples/03_serialization.mjs ipc   (or iceoryx; inproc pickles nothing)
import { executePipelineWithInput } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const lines = ["the cat sat", "the dog sat", "a cat ran"]
const tally = await create("example_nodes", "WordTally", { name: "tally" })
const outputs = await executePipelineWithInput([tally], lines, { transport })
console.log(`transport: ${transport}`)
for (const o of outputs) console.log(`${JSON.stringify(o.line).padEnd(14)} top words ${o.top.join(" ")}`)
console.log(`lifecycle seen by the last item: ${outputs.at(-1).lifecycle.join("; ")}`)

const eager = await create("example_nodes", "EagerWordTally", { name: "eager" })
try {
  await executePipelineWithInput([eager], lines, { transport })
  console.log("EagerWordTally ran: nothing was pickled")
} catch (error) {
  console.log(`EagerWordTally: ${error._tag}: ${error.message}`)
}
