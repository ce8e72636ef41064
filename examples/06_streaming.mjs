// Streaming input and output from TypeScript: streamPipeline over an async generator, outputs arriving while input does.
// Three sentences, one every 250 ms, through Words (a Python generator node: one output per word) and a manifest
// TextProcessorNode (uppercase); each word is printed as it arrives, with the time since the start and how many sentences were sent by then
// (a worker's start-up delays the first ones on ipc). Breaking out of the loop would stop and clean up every node.
// Run: node examples/06_streaming.mjs [inproc|ipc|iceoryx]
import { setTimeout as sleep } from "node:timers/promises"
import { streamPipeline } from "@remotemedia/core"
import { create, transport } from "./_common.mjs"

const t0 = performance.now()
const sent = []
async function* sentences() {
  for (let i = 0; i < 3; i++) {
    await sleep(250)
    sent.push(performance.now() - t0)
    yield `sentence ${i} has ${i + 3} words` + " more".repeat(i)
  }
}
const words = await create("example_nodes", "Words", { name: "words" })
const upper = { id: "upper", node_type: "TextProcessorNode", params: { operation: "uppercase" } }
console.log(`transport: ${transport}`)
let count = 0
for await (const out of streamPipeline([words, upper], sentences(), { transport })) {
  count++
  console.log(`${(performance.now() - t0).toFixed(0).padStart(4)} ms  ${out.processed_text.padEnd(9)} (${sent.length} sentence(s) sent so far)`)
}
console.log(`3 sentences in, ${count} words out`)
