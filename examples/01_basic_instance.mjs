// Basic instance execution from TypeScript: a configured, stateful Python Node object created here and run as a pipeline.
// On inproc the caller's own object does the work (its totals are read back afterwards); on ipc/iceoryx a pickled copy
// runs in a worker and the caller's object stays as it was.
// Run: node examples/01_basic_instance.mjs [inproc|ipc|iceoryx]   (or REMOTEMEDIA_TRANSPORT=ipc node examples/01_basic_instance.mjs)
import { executePipelineWithInput } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const stats = await create("example_nodes", "RunningStats", { name: "stats" })
const outputs = await executePipelineWithInput([stats], [2, 4, 4, 4, 5, 5, 7, 9], { transport })
console.log(`transport: ${transport}`)
for (const o of outputs) console.log(`x=${String(o.x).padEnd(4)} n=${o.n} mean=${String(o.mean).padEnd(6)} std=${o.std}`)
console.log(`the caller's object afterwards: n=${await stats.getJs("count")} (it ran in: ${await stats.getJs("ran_in")})`)
