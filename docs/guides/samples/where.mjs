import { executePipelineWithInput } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"
import { create } from "@remotemedia/transport-ipc"

const python = start({ paths: ["."] })
const Counter = await (await python.import("my_nodes")).get("Counter")

for (const [label, transport] of [
  ["inproc", "inproc"],
  ["ipc", "ipc"],
  ["ipc, returnState", await create({ returnState: true })]
]) {
  const counter = await Counter.call([], { name: "counter", step: 2 })
  const out = await executePipelineWithInput([counter], [1, 2, 3], { transport })
  console.log(`${label.padEnd(17)} outputs ${JSON.stringify(out)}  caller's counter.calls: ${await counter.getJs("calls")}`)
}
