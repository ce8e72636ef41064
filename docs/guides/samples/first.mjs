import { executePipelineWithInput } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const python = start({ paths: ["."] }) // my_nodes.py lives here
const Counter = await (await python.import("my_nodes")).get("Counter")
const counter = await Counter.call([], { name: "counter", step: 2 })

const out = await executePipelineWithInput(
  [
    { id: "calc", node_type: "CalculatorNode", params: { operation: "add", operand: 10 } },
    counter,
    { id: "label", process: (x) => `#${x}` }
  ],
  [1, 2, 3]
)
console.log(out)
console.log("calls:", await counter.getJs("calls"))
