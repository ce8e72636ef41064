// Every accepted pipeline input form, from TypeScript, each run on the same numbers.
// An array of manifest nodes; an array mixing a Python instance and a manifest node; a manifest object; its JSON
// string; a Python Pipeline object (its nodes extracted); a single Python Node handle; then rejected inputs, before
// anything runs, with InvalidPipelineInput naming the bad position.
// Run: node examples/04_input_forms.mjs [inproc|ipc|iceoryx]
import { executePipelineWithInput } from "@remotemedia/core"
import { create, python, transport } from "./_common.mjs"

const double = { id: "double", node_type: "CalculatorNode", params: { operation: "multiply", operand: 2 } }
const plusOne = { id: "plus_one", node_type: "CalculatorNode", params: { operation: "add", operand: 1 } }
const manifest = { version: "v1", metadata: { name: "double-plus-one" }, nodes: [double, plusOne], connections: [{ from: "double", to: "plus_one" }] }
const pyDouble = () => create("remotemedia.nodes.basic", "CalculatorNode", { name: "double", operation: "multiply", operand: 2 })
const pyPlusOne = () => create("remotemedia.nodes.basic", "CalculatorNode", { name: "plus_one", operation: "add", operand: 1 })
const Pipeline = await (await python.import("remotemedia")).get("Pipeline")

const forms = [
  ["an array of manifest nodes", [double, plusOne]],
  ["an array: Python instance + manifest node", [await pyDouble(), plusOne]],
  ["a manifest object", manifest],
  ["a manifest JSON string", JSON.stringify(manifest)],
  ["a Python Pipeline object", await Pipeline.call([[await pyDouble(), await pyPlusOne()]], { name: "py" })],
  ["a Python Node handle (x2 only)", await pyDouble()]
]
console.log(`transport: ${transport}`)
for (const [label, form] of forms) {
  console.log(`${label.padEnd(42)} -> ${JSON.stringify(await executePipelineWithInput(form, [1, 2, 3], { transport }))}`)
}
for (const [label, bad] of [["an array with a number in it", [double, 42]], ["an empty array", []]]) {
  try {
    await executePipelineWithInput(bad, [1, 2, 3], { transport })
  } catch (error) {
    console.log(`${label.padEnd(42)} -> ${error._tag}: ${error.message}`)
  }
}
