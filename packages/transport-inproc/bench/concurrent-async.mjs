// Wall time of N concurrent pipelines (default 100) on the inproc transport, each with its own async node sleeping 50 ms.
// Run after a build: `node bench/concurrent-async.mjs [N]` (REMOTEMEDIA_PATHS prepends sys.path entries, e.g. another checkout's python/).
import { join } from "node:path"
import { executePipelineWithInput } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"
import "@remotemedia/transport-inproc"

const n = Number(process.argv[2] ?? 100)
const extra = (process.env.REMOTEMEDIA_PATHS ?? "").split(":").filter(Boolean)
const python = start({ paths: [...extra, join(import.meta.dirname, "../test/fixtures")] })
const fixtures = await python.import("async_nodes")
const AsyncSleep = await fixtures.get("AsyncSleep")
const host = await python.import("remotemedia.runtime_host")
const nodes = await Promise.all(Array.from({ length: n }, (_, i) => AsyncSleep.call([], { delay: 0.05, name: `sleep${i}` })))
const options = { env: {}, cwd: import.meta.dirname }
await executePipelineWithInput([nodes[0]], [0], options) // warm-up: imports, the event loop
await fixtures.callMethod("reset")
const t0 = performance.now()
const outputs = await Promise.all(nodes.map((node, i) => executePipelineWithInput([node], [i], options)))
const ms = performance.now() - t0
const { process: maxInFlight } = await fixtures.callMethodJs("max_in_flight")
if (!outputs.every((out, i) => out.length === 1 && out[0] === i)) throw new Error("wrong outputs")
console.log(`${n} concurrent pipelines of an async node sleeping 50 ms: ${ms.toFixed(0)} ms (serial would be ${n * 50} ms); max coroutines in flight ${maxInFlight}; host ${await host.getJs("__file__")}`)
