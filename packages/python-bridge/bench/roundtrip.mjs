// Round-trip benchmark of the bridge, beside plain-JS baselines.
// Run after a build: node bench/roundtrip.mjs
import { Tensor } from "@remotemedia/core"
import { start } from "../dist/index.js"

const py = start()
await py.exec("def identity(x):\n    return x\nclass Box:\n    def noop(self):\n        return None\nbox = Box()\n")
const box = await py.eval("box")
const identity = await py.eval("identity")

const time = async (label, iterations, run) => {
  for (let i = 0; i < Math.min(iterations, 200); i++) await run(i) // warm up
  const samples = []
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) await run(i)
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / iterations)
  }
  samples.sort((a, b) => a - b)
  console.log(`${label.padEnd(52)} median ${samples[2].toFixed(2).padStart(10)} µs   best ${samples[0].toFixed(2).padStart(10)} µs`)
}

const jsNoop = async () => null
await time("baseline: await of a plain async JS function", 20000, () => jsNoop())
await time("baseline: setImmediate hop", 20000, () => new Promise((r) => setImmediate(r)))
await time("box.noop() -> converted (callMethodJs)", 20000, () => box.callMethodJs("noop"))
await time("box.noop() -> handle (callMethod)", 20000, async () => (await box.callMethod("noop")).release())
await time("identity(1.5) -> converted", 20000, () => identity.callJs([1.5]))

const concurrent = async (n) => {
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: n }, () => box.callMethodJs("noop")))
  return Number(process.hrtime.bigint() - t0) / 1e3 / n
}
await concurrent(1000)
console.log(`${"box.noop(), 1000 in flight (per call)".padEnd(52)} ${(await concurrent(1000)).toFixed(2).padStart(10)} µs`)

for (const [label, mib] of [["1 MiB", 1], ["64 MiB", 64]]) {
  const data = new Float32Array((mib << 20) / 4).map((_, i) => i % 1000)
  const tensor = new Tensor(data, [data.length])
  const iterations = mib === 1 ? 2000 : 50
  await time(`baseline: copy ${label} (Float32Array.slice)`, iterations, () => data.slice())
  await time(`identity(Tensor ${label} float32) round trip`, iterations, async () => {
    const back = await identity.callJs([tensor])
    if (back.data.length !== data.length) throw new Error("wrong length")
  })
}

for (const [label, mib] of [["1 MiB", 1], ["64 MiB", 64]]) {
  const array = await py.eval(`__import__('numpy').ones(${(mib << 20) / 4}, dtype='float32')`)
  await time(`ndarray ${label} made in Python -> Tensor (toJs)`, mib === 1 ? 2000 : 50, async () => {
    const t = await array.toJs()
    if (t.data.length !== (mib << 20) / 4) throw new Error("wrong length")
  })
  array.release()
}
