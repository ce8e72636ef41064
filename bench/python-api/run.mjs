// Python API benchmark: execute_pipeline_with_input standalone, inside the runtime and from TypeScript, beside a plain loop calling process, in one run.
// Usage: node bench/python-api/run.mjs [--quick] [--json <file>]   (after `npm run build`; --json also writes the figures as JSON). Each way runs in its own process; the ways take turns, medians over rounds.
import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { python } from "../ipc/cases/common.mjs"
import { fmt, median, writeJson } from "../stats.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "../..")
const cli = join(root, "packages/cli/dist/bin.js")
const script = join(here, "bench_python_api.py")
const quick = process.argv.includes("--quick")
const rounds = quick ? 1 : 3
const repeats = quick ? 3 : 5
const env = { ...process.env, REMOTEMEDIA_CLI: cli }

const ways = [
  ["plain loop, node.process(x)", (c, n) => [python, [script, "loop", c, n, repeats]]],
  ["standalone python script.py", (c, n) => [python, [script, "api", c, n, repeats]]],
  ["standalone, transport=\"ipc\"", (c, n) => [python, [script, "api", c, n, repeats, "ipc"]]],
  ["inside the runtime (remotemedia run)", (c, n) => [process.execPath, [cli, "run", script, "--", "api", c, n, repeats]]],
  ["TypeScript, same class, inproc", (c, n) => [process.execPath, [join(here, "ts_case.mjs"), c, n, repeats]]]
]
const cases = [
  ["small", quick ? 2_000 : 10_000, "Audio, 320 float32"],
  ["mib", quick ? 20 : 100, "1 MiB float32 array"]
]
const measure = ([cmd, args]) => {
  const out = execFileSync(cmd, args.map(String), { cwd: join(root, "bench"), env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  return JSON.parse(out.trim().split("\n").at(-1))
}

const rows = []
console.log(`| case | way | per run | per item | x plain loop | first call |`)
console.log(`|---|---|---|---|---|---|`)
for (const [kind, n, label] of cases) {
  const results = ways.map(() => [])
  for (let r = 0; r < rounds; r++) ways.forEach(([, argv], i) => results[i].push(measure(argv(kind, n))))
  const loop = median(results[0].map((x) => x.nsPerRun))
  ways.forEach(([name], i) => {
    const run = median(results[i].map((x) => x.nsPerRun))
    const first = results[i][0].firstNs === null ? "" : fmt(median(results[i].map((x) => x.firstNs)))
    console.log(`| ${n} × ${label} | ${name} | ${fmt(run)} | ${fmt(run / n)} | ${(run / loop).toFixed(0)}x | ${first} |`)
    if (i > 0) rows.push({ name: `${n} × ${label}: ${name}, per run`, ours: run, anchor: loop, anchorName: ways[0][0], unit: "ns", ratio: `${(run / loop).toFixed(0)}x`, target: "(no target)" })
  })
}
writeJson("python-api", rows)
