// transport-ipc benchmarks, every figure beside an anchor measured in the same run:
//   - a raw length-prefixed echo over the same two pipes (echo_baseline.py, Python stdlib only), the floor for any stdio protocol;
//   - pythonia (npm `pythonia`, a Node<->Python bridge over stdio);
//   - `python -c "import cloudpickle, msgpack"` for the worker's cold start;
//   - informational, to show where the time goes: a bare msgpack request/reply over the same pipes (msgpack_echo.py), and
//     the raw echo with its replies gathered into one buffer on the Node side (as a received tensor must be).
// Each measurement runs in its own process; the two sides of a ratio run alternately (A/B/A/B...) and the medians are compared.
// Every IPC figure is measured twice: all processes pinned to CPU 0 (`taskset -c 0` on the case process, which its Python
// children inherit), and unpinned. Waking a process on the other CPU of these 2-vCPU VMs costs tens of microseconds and
// swings with the host, so ratios are only taken within one mode.
// The warm pool (`pool` option) is measured beside a cold start, both in one process, and 50 concurrent short runs with a
// pool of 2 beside the same without a pool (informational, no targets).
// Usage: node bench/ipc/run.mjs [--quick] [--mode pinned|unpinned|both] [--only pool] [--json <file>]   (after `npm run build`;
// --json also writes the figures, in ns, as JSON)
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { fmt, median, pair as alternate, writeJson } from "../stats.mjs"
import { python } from "./cases/common.mjs"

const here = dirname(fileURLToPath(import.meta.url))

const quick = process.argv.includes("--quick")
const modeArg = process.argv.includes("--mode") ? process.argv[process.argv.indexOf("--mode") + 1] : "both"
const modes = modeArg === "both" ? ["pinned", "unpinned"] : [modeArg]
const onlyPool = process.argv.includes("--only") && process.argv[process.argv.indexOf("--only") + 1] === "pool"
const runs = quick ? 2 : 5
const pair = (a, b) => alternate(runs, a, b)
const env = { ...process.env, PYTHON_BIN: process.env.PYTHON_BIN ?? python }

const runCase = (pinned, script, args) => {
  const cmd = pinned ? "taskset" : process.execPath
  const argv = [...(pinned ? ["-c", "0", process.execPath] : []), join(here, "cases", script), ...args.map(String)]
  const out = execFileSync(cmd, argv, { cwd: here, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split("\n").at(-1))
}
const runJson = (pinned, script, args) => runCase(pinned, script, args).ns
const results = []
const row = (mode, name, ours, anchorName, anchor, ratio, target, ok) => {
  results.push({ mode, name, ours, anchorName, anchor, unit: "ns", ratio, target, ok })
  const verdict = ok === undefined ? "" : ok ? "MET" : "MISSED"
  console.log(
    `[${mode.padEnd(8)}] ${name.padEnd(34)} ours ${fmt(ours).padStart(10)}  ${anchorName.padEnd(9)} ${fmt(anchor).padStart(10)}  ${ratio.padStart(14)}  ${target.padEnd(24)} ${verdict}`
  )
}

const scratch = mkdtempSync(join(tmpdir(), "rm-bench-ipc-"))
const pickle = join(scratch, "gain.pkl")
execFileSync(python, [join(here, "cases", "shipped_node.py"), pickle], { stdio: "inherit" })

try {
  for (const mode of modes) {
    const pinned = mode === "pinned"
    const ours = (...args) => () => runJson(pinned, "ours.mjs", args)
    const anchor = (...args) => () => runJson(pinned, "anchors.mjs", args)

    // Warm pool: a short run on a pooled worker beside a cold start, both measured in each of `runs` processes
    const shorts = Array.from({ length: runs }, () => runCase(pinned, "ours.mjs", ["short", quick ? 10 : 30]))
    const [warmRun, coldRun] = [median(shorts.map((r) => r.ns)), median(shorts.map((r) => r.cold))]
    row(mode, "short run, warm pool of 1", warmRun, "cold", coldRun, `${(coldRun / warmRun).toFixed(1)}x faster`, "(no target)", undefined)
    // 50 concurrent short runs on one transport: a pool of 2 (runs wait for its workers) vs a fresh worker each
    const [burstPool, burstFresh] = pair(ours("burst", 50, 2), ours("burst", 50, 0))
    row(mode, "50 concurrent short runs, pool 2", burstPool, "no pool", burstFresh, `${(burstFresh / burstPool).toFixed(1)}x faster`, "(no target)", undefined)
    if (onlyPool) continue

    // 1. tiny item round trip: vs the raw echo (<= 1.3x) and vs pythonia (>= 3x faster)
    const tinyReps = quick ? 5_000 : 20_000
    const [tiny, echoTiny] = pair(ours("rt", 16, tinyReps), anchor("echo", 16, tinyReps))
    row(mode, "round trip, 16 B string", tiny, "raw echo", echoTiny, `${(tiny / echoTiny).toFixed(2)}x`, "<= 1.30x the echo", tiny / echoTiny <= 1.3)
    const [tiny2, pyt] = pair(ours("rt", 16, tinyReps), anchor("pythonia", quick ? 2_000 : 5_000))
    row(mode, "round trip, 16 B string", tiny2, "pythonia", pyt, `${(pyt / tiny2).toFixed(1)}x faster`, ">= 3x faster", pyt / tiny2 >= 3)
    // Informational: the same request/reply as a bare msgpack map over the same pipes (no dispatch, no node, no checks)
    const [tiny3, mp] = pair(ours("rt", 16, tinyReps), anchor("msgpack-echo", tinyReps))
    row(mode, "round trip, 16 B string", tiny3, "mp echo", mp, `${(tiny3 / mp).toFixed(2)}x`, "(no target)", undefined)

    // 2. large round trips: throughput >= 0.8x the raw echo's
    for (const [label, bytes, reps] of [["1 MiB", 1 << 20, quick ? 100 : 400], ["64 MiB", 64 << 20, quick ? 4 : 10]]) {
      const [big, echoBig] = pair(ours("rt", bytes, reps), anchor("echo", bytes, reps))
      const throughput = (ns) => `${((2 * bytes) / ns).toFixed(2)} GB/s`
      row(mode, `round trip, ${label} float32 tensor`, big, "raw echo", echoBig, `${(echoBig / big).toFixed(2)}x tput`, ">= 0.80x the echo's tput", echoBig / big >= 0.8)
      console.log(`${"".padEnd(12)}(both directions: ours ${throughput(big)}, echo ${throughput(echoBig)})`)
      // Informational: the echo whose Node side gathers each reply into one fresh buffer, as a typed array needs
      const [big2, gathered] = pair(ours("rt", bytes, reps), anchor("echo-assembled", bytes, reps))
      row(mode, `round trip, ${label} float32 tensor`, big2, "echo+gath", gathered, `${(gathered / big2).toFixed(2)}x tput`, "(no target)", undefined)
    }

    // 3. cold start with a shipped instance: spawn + hello + load_instance, vs spawning Python to import cloudpickle and msgpack
    const coldReps = quick ? 3 : 8
    const [cold, imports] = pair(ours("cold", coldReps, pickle), anchor("import", coldReps))
    row(mode, "cold start, shipped instance", cold, "py import", imports, `${(cold / imports).toFixed(2)}x`, "<= 1.30x the import", cold / imports <= 1.3)

    // Informational: per item with the executor's batching (a fused 2-node chain, start-up included)
    const n = quick ? 20_000 : 200_000
    const chain = runJson(pinned, "ours.mjs", ["chain", n])
    row(mode, `per item, fused chain, ${n / 1000}k ints`, chain, "raw echo", echoTiny, `${(chain / echoTiny).toFixed(3)}x`, "(no target)", undefined)
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
const missed = results.filter((r) => r.ok === false).length
writeJson("ipc", results)
console.log(`\n${results.filter((r) => r.ok).length} targets met, ${missed} missed`)
