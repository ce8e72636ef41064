// The Python-API benchmark's TypeScript way: the same BenchIdentity class through core's executePipelineWithInput on inproc; prints one JSON line.
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Audio, executePipelineWithInput, Tensor } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const [kind, count, repeats] = process.argv.slice(2)
const n = Number(count)
const python = start({ paths: [join(dirname(fileURLToPath(import.meta.url)), "..")] })
const identity = await (await (await python.import("bench_nodes")).get("BenchIdentity")).call()
const items = Array.from({ length: n }, () =>
  kind === "small" ? new Audio(new Float32Array(320).fill(0.25), 16_000) : new Tensor(new Float32Array(1 << 18).fill(0.5))
)
const run = async (xs) => {
  const t0 = process.hrtime.bigint()
  const out = await executePipelineWithInput([identity], xs, { transport: "inproc" })
  if (out.length !== xs.length) throw new Error(`expected ${xs.length} outputs, got ${out.length}`)
  return Number(process.hrtime.bigint() - t0)
}
const firstNs = await run(items.slice(0, 1))
await run(items)
const times = []
for (let i = 0; i < Number(repeats); i++) times.push(await run(items))
times.sort((a, b) => a - b)
console.log(JSON.stringify({ way: "ts", case: kind, items: n, nsPerRun: times[Math.floor(times.length / 2)], firstNs }))
process.exit(0)
