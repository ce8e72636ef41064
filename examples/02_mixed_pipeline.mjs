// Mixed pipelines from TypeScript: manifest nodes, a live Python instance and a TypeScript node in one array.
// Fahrenheit readings -> CalculatorNode (manifest, -32) -> CalculatorNode (manifest, x5/9) -> RunningStats (Python
// instance) -> a TypeScript node formatting each result.
// Run: node examples/02_mixed_pipeline.mjs [inproc|ipc|iceoryx]
import { executePipelineWithInput } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const stats = await create("example_nodes", "RunningStats", { name: "stats" })
const fahrenheit = [50, 68, 86, 104]
const outputs = await executePipelineWithInput(
  [
    { id: "to_c", node_type: "CalculatorNode", params: { operation: "subtract", operand: 32 } },
    { id: "scale", node_type: "CalculatorNode", params: { operation: "multiply", operand: 5 / 9 } },
    stats,
    { id: "format", process: (o) => `${o.x.toFixed(1)} C, running mean ${o.mean.toFixed(1)} C` }
  ],
  fahrenheit,
  { transport }
)
console.log(`transport: ${transport}`)
console.log("manifest(F - 32) -> manifest(x 5/9) -> Python instance RunningStats -> TypeScript format")
fahrenheit.forEach((f, i) => console.log(`${String(f).padStart(5)} F -> ${outputs[i]}`))
console.log(`the caller's RunningStats afterwards: n=${await stats.getJs("count")}`)
