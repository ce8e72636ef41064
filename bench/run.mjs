// Benchmarks of the in-process transport against node-calls-python, measured side by side in one run.
// Each measurement runs in its own process (two embedded interpreters must not share one). Prints figures and ratios.
// Usage: node bench/run.mjs [--quick] [--json <file>]   (--json also writes the figures, in ns, as JSON)
import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { fmt, pair, writeJson } from "./stats.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes("--quick")
const runJson = (script, args, nodeArgs = []) => {
  const out = execFileSync(process.execPath, [...nodeArgs, join(here, script), ...args.map(String)], {
    cwd: here,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20
  })
  return JSON.parse(out.trim().split("\n").at(-1))
}
const rows = []
const row = (name, ours, anchor, ratio, target, ok, { anchorName = "node-calls-python", unit = "ns" } = {}) => {
  rows.push({ name, ours, anchor, anchorName, unit, ratio, target, ok })
  const show = (x) => (unit === "ns" ? fmt(x) : `${x} ${unit}`)
  console.log(`${name.padEnd(44)} ours ${show(ours).padStart(10)}  anchor ${show(anchor).padStart(10)}  ratio ${ratio.padStart(7)}  target ${target}  ${ok ? "MET" : "MISSED"}`)
}
const runs = quick ? 1 : 5

const calls = quick ? 20_000 : 100_000
const [oursCall, ncpCall] = pair(
  runs,
  () => runJson("cases/inproc.mjs", ["calls", calls]).nsPerItem,
  () => runJson("anchors/node-calls-python.mjs", ["calls", calls]).nsPerCall
)
row(`per item, stateful instance, ${calls} items`, oursCall, ncpCall, `${(oursCall / ncpCall).toFixed(2)}x`, "<= 1.00x", oursCall <= ncpCall)

for (const bytes of [1024, 1 << 20, 64 << 20]) {
  const [ours, ncp] = pair(
    runs,
    () => runJson("cases/inproc.mjs", ["buffer", bytes]).nsPerItem,
    () => runJson("anchors/node-calls-python.mjs", ["buffer", bytes]).nsPerCall
  )
  const label = bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`
  row(`float32 round trip ${label}`, ours, ncp, `${(ncp / ours).toFixed(1)}x faster`, bytes === 1 << 20 ? ">= 10x at 1 MiB" : "flat in size", bytes !== 1 << 20 || ncp / ours >= 10)
}

const [instance, manifest] = pair(
  runs,
  () => runJson("cases/inproc.mjs", ["calls", calls]).nsPerItem,
  () => runJson("cases/inproc.mjs", ["manifest", calls]).nsPerItem
)
row("instance node vs same node by manifest (SC-003)", instance, manifest, `${(instance / manifest).toFixed(3)}x`, "<= 1.05x", instance / manifest <= 1.05, { anchorName: "manifest node" })

// Small items (issue 10): 20 ms audio chunks (320 float32) and 1 KiB tensors, per item, beside callSync with the same data.
const small = quick ? 5_000 : 20_000
for (const [kind, label] of [["audio", "Audio 320 float32 -> 0"], ["tensor", "Tensor 320 float32 -> 0"], ["tensor1k", "1 KiB tensor identity"]]) {
  for (const api of ["stream", "batch"]) {
    const [ours, ncp] = pair(
      runs,
      () => runJson("cases/inproc.mjs", ["small", small, kind, api]).nsPerItem,
      () => runJson("anchors/node-calls-python.mjs", ["small", small, kind]).nsPerCall
    )
    row(`${label}, ${api === "stream" ? "streamPipeline" : "executePipelineWithInput"}`, ours, ncp, `${(ours / ncp).toFixed(2)}x`, "<= 1.00x", ours <= ncp)
  }
}
{
  const n = quick ? 500 : 2_000
  const ours = runJson("cases/inproc.mjs", ["latency", n])
  const ncp = runJson("anchors/node-calls-python.mjs", ["latency", n])
  console.log(`single item through an idle streamPipeline: p50 ${fmt(ours.p50)} p99 ${fmt(ours.p99)}; one callSync: p50 ${fmt(ncp.p50)} p99 ${fmt(ncp.p99)} (reported, no target)`)
  rows.push({ name: "single item, idle streamPipeline vs one callSync, p50", ours: ours.p50, anchor: ncp.p50, anchorName: "node-calls-python", unit: "ns", ratio: `${(ours.p50 / ncp.p50).toFixed(2)}x`, target: "(no target)" })
  rows.push({ name: "single item, idle streamPipeline vs one callSync, p99", ours: ours.p99, anchor: ncp.p99, anchorName: "node-calls-python", unit: "ns", ratio: `${(ours.p99 / ncp.p99).toFixed(2)}x`, target: "(no target)" })
}

const rss = runJson("cases/inproc.mjs", ["rss", quick ? 300_000 : 1_000_000], ["--expose-gc"]).rssMiB
const growth = (rss.at(-1) - rss[1]) / rss[1]
console.log(`RSS over ${quick ? "300k" : "1M"} calls (MiB, every 100k): ${rss.join(" ")}`)
row("RSS growth after warm-up", rss.at(-1), rss[1], `${(growth * 100).toFixed(1)}%`, "< +10%", growth < 0.1, { anchorName: "after warm-up", unit: "MiB" })
writeJson("inproc", rows)
