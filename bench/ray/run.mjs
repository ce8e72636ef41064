// transport-ray benchmarks, every figure beside a baseline measured in the same run:
//   1. throughput of a CPU-heavy node (BenchMatmul, ray_bench_nodes.py: a fixed NumPy matmul workload per item, one BLAS
//      thread everywhere) over n items sent as one batch: a plain Python loop calling process() in one process
//      (plain_loop.py, the baseline) vs transport-ray with 1 replica and with 2 replicas ({ num_cpus: 1, stateless }):
//      items/s, the speedup over the loop and the 2 / 1 replica scaling, plus a projection (labelled as such) to more hosts;
//      as a control of what the machine's two cores give at the time, the same loop split over 2 forked processes;
//   2. per-item cost of small items (16 B strings through PassThrough on a warm pooled worker, as bench/iceoryx's `stream`)
//      on ray vs transport-ipc;
//   3. cold start: making the transport and running one item through PassThrough, ray vs ipc.
// The Ray cases connect to one local cluster this script starts (transport-ray's LocalCluster: `ray start --head --block`
// in a process group of its own) and stops at the end, on error and on SIGINT/SIGTERM: never `ray stop`, which would
// stop every Ray on the machine. Each measurement runs in its own process;
// the sides alternate (five times, once with --quick) and their medians are compared. Unpinned only (a 2-replica run needs both CPUs).
// Usage: node bench/ray/run.mjs [--quick] [--hosts N] [--cores C] [--json <file>]   (after `npm run build`; --hosts and
// --cores only shape the projection line, default 4 hosts of 2 cores)
import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { fmt, median, writeJson } from "../stats.mjs"
import { python } from "../ipc/cases/common.mjs"
import { LocalCluster } from "@remotemedia/transport-ray"

const here = dirname(fileURLToPath(import.meta.url))
const argOf = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback)
const quick = process.argv.includes("--quick")
const hosts = Number(argOf("--hosts", 4))
const cores = Number(argOf("--cores", 2))
const runs = quick ? 1 : 5
const cpuItems = quick ? 12 : 40
const [matReps, matSize] = [50, 256] // ~35 ms per item on one core of this VM
const smallItems = 2000
const coldRuns = quick ? 2 : 5
// One BLAS thread in every process (the loop, the cluster's workers): each replica is one core's work, and the loop's
// baseline is one core too (OpenBLAS would otherwise spread a product over both CPUs).
const oneThread = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" }
const pythonPath = [here, process.env.PYTHONPATH].filter(Boolean).join(":")
const env = { ...process.env, ...oneThread, PYTHONPATH: pythonPath, PYTHON_BIN: process.env.PYTHON_BIN ?? python }

// -- the cluster -------------------------------------------------------------------------------------------------------

const cluster = await LocalCluster.start({ python, numCpus: 2, env })
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    cluster.stop().finally(() => process.exit(130))
  })
}
const { address } = cluster
console.log(`Ray cluster at ${address} (2 CPUs, this run's own; ${python})`)

// -- measurements ------------------------------------------------------------------------------------------------------

const caseEnv = { ...env, RAY_BENCH_ADDRESS: address }
// A case's stderr (the Ray driver's connection log) is shown only when the case fails.
const runJson = (cmd, argv) => {
  let out
  try {
    out = execFileSync(cmd, argv, { cwd: here, env: caseEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 24 })
  } catch (e) {
    process.stderr.write(String(e.stderr ?? ""))
    throw e
  }
  return JSON.parse(out.trim().split("\n").at(-1))
}
const ours = (...args) => () => runJson(process.execPath, [join(here, "case.mjs"), ...args.map(String)])
const loop = (...args) => () => runJson(python, [join(here, "plain_loop.py"), ...args.map(String)])
/** Runs the sides alternately `k` times; per side, the median of each field of their results. */
const alternate = (k, sides) => {
  const got = sides.map(() => [])
  for (let i = 0; i < k; i++) sides.forEach((side, j) => got[j].push(side()))
  return got.map((results) => Object.fromEntries(Object.keys(results[0]).map((key) => [key, median(results.map((r) => r[key]))])))
}

const lines = []
const print = (line = "") => {
  lines.push(line)
  console.log(line)
}
const rows = []
const rate = (ns, n = cpuItems) => (n * 1e9) / ns
const perSec = (ns, n = cpuItems) => `${rate(ns, n).toFixed(2)}/s`

try {
  // 1. CPU-heavy node
  const [plain, par, one, two] = alternate(runs, [
    loop(cpuItems, matReps, matSize),
    loop(cpuItems, matReps, matSize, 2),
    ours("cpu", 1, cpuItems, matReps, matSize),
    ours("cpu", 2, cpuItems, matReps, matSize)
  ])
  const x = (ns) => `${(plain.ns / ns).toFixed(2)}x`
  print(`| case | side | time | per item | items/s | vs baseline |`)
  print(`|---|---|---|---|---|---|`)
  const cpuCase = `${cpuItems} items × ${matReps} matmuls ${matSize}², one batch`
  print(`| ${cpuCase} | plain Python loop, process() (baseline) | ${fmt(plain.ns)} | ${fmt(plain.ns / cpuItems)} | ${perSec(plain.ns)} | 1x |`)
  print(`| ${cpuCase} | control: the same loop in 2 forked processes, half the items each (what this machine's 2 cores gave) | ${fmt(par.ns)} | ${fmt(par.ns / cpuItems)} | ${perSec(par.ns)} | ${x(par.ns)} |`)
  for (const [label, r] of [["ray, 1 replica", one], ["ray, 2 replicas", two]]) {
    print(`| ${cpuCase} | ${label}: run (executePipelineWithInput, warm driver; actors created in the run) | ${fmt(r.ns)} | ${fmt(r.ns / cpuItems)} | ${perSec(r.ns)} | ${x(r.ns)} |`)
    print(`| ${cpuCase} | ${label}: loaded stage, process only (load ${fmt(r.load)} apart) | ${fmt(r.process)} | ${fmt(r.process / cpuItems)} | ${perSec(r.process)} | ${x(r.process)} |`)
    rows.push({ name: `${cpuCase}, ${label}, run (load included), per item`, ours: r.ns / cpuItems, anchorName: "plain loop", anchor: plain.ns / cpuItems, unit: "ns", ratio: `${x(r.ns)} the loop's items/s`, target: "(no target)" })
    rows.push({ name: `${cpuCase}, ${label}, loaded stage (process only), per item`, ours: r.process / cpuItems, anchorName: "plain loop", anchor: plain.ns / cpuItems, unit: "ns", ratio: `${x(r.process)} the loop's items/s`, target: "(no target)", load: r.load })
  }
  const scaleRun = one.ns / two.ns
  const scaleProc = one.process / two.process
  const scaleMachine = plain.ns / par.ns
  print(`| ${cpuCase} | scaling, 2 replicas / 1 replica | | | run ${scaleRun.toFixed(2)}x, process only ${scaleProc.toFixed(2)}x | at best 2x on 2 cores; the control's 2 processes / 1: ${scaleMachine.toFixed(2)}x |`)
  rows.push({ name: "scaling, 2 replicas / 1 replica (process only)", ours: two.process / cpuItems, anchorName: "1 replica", anchor: one.process / cpuItems, more: [{ name: "plain loop, 2 processes", value: par.ns / cpuItems }], unit: "ns", ratio: `${scaleProc.toFixed(2)}x (run: ${scaleRun.toFixed(2)}x; 2 plain processes: ${scaleMachine.toFixed(2)}x)`, target: "(at best 2x on 2 cores)" })

  // 2. small items
  const [rayS, ipcS] = alternate(runs, [ours("stream", "ray", smallItems), ours("stream", "ipc", smallItems)])
  const smallCase = `${smallItems} small items (16 B strings) through PassThrough, per item`
  print(`| ${smallCase} | ipc: run (warm pool of 1; load included) (baseline) | ${fmt(ipcS.ns * smallItems)} | ${fmt(ipcS.ns)} | ${perSec(ipcS.ns, 1)} | 1x |`)
  print(`| ${smallCase} | ray: run (warm pool of 1; load included) | ${fmt(rayS.ns * smallItems)} | ${fmt(rayS.ns)} | ${perSec(rayS.ns, 1)} | ${(rayS.ns / ipcS.ns).toFixed(2)}x the time |`)
  print(`| ${smallCase} | ipc: loaded stage, 1024-item batches | ${fmt(ipcS.stage * smallItems)} | ${fmt(ipcS.stage)} | ${perSec(ipcS.stage, 1)} | |`)
  print(`| ${smallCase} | ray: loaded stage, 1024-item batches | ${fmt(rayS.stage * smallItems)} | ${fmt(rayS.stage)} | ${perSec(rayS.stage, 1)} | ${(rayS.stage / ipcS.stage).toFixed(2)}x ipc's stage time |`)
  rows.push({ name: `${smallCase}, run (load included)`, ours: rayS.ns, anchorName: "ipc", anchor: ipcS.ns, unit: "ns", ratio: `${(rayS.ns / ipcS.ns).toFixed(2)}x ipc's time`, target: "(no target)" })
  rows.push({ name: `${smallCase}, loaded stage`, ours: rayS.stage, anchorName: "ipc", anchor: ipcS.stage, unit: "ns", ratio: `${(rayS.stage / ipcS.stage).toFixed(2)}x ipc's time`, target: "(no target)" })

  // 3. cold start
  const [rayC, ipcC] = alternate(coldRuns, [ours("cold", "ray"), ours("cold", "ipc")])
  print(`| cold start: make the transport, first 1-item run | ipc (baseline) | ${fmt(ipcC.ns)} | | | 1x |`)
  print(`| cold start: make the transport, first 1-item run | ray (driver start, connect, actor) | ${fmt(rayC.ns)} | | | ${(rayC.ns / ipcC.ns).toFixed(1)}x the time |`)
  rows.push({ name: "cold start, first 1-item run", ours: rayC.ns, anchorName: "ipc", anchor: ipcC.ns, unit: "ns", ratio: `${(rayC.ns / ipcC.ns).toFixed(1)}x ipc's time`, target: "(no target)" })

  // The projection: measured 1-replica rate and 2-replica efficiency, extrapolated (not measured).
  const efficiency = scaleProc / 2
  const r1 = rate(one.process)
  const replicas = hosts * cores
  const projected = Math.min(replicas, hosts * cores) * r1 * efficiency
  print()
  print(
    `on ${hosts} hosts (projection, not a measurement): with R replicas over ${hosts} hosts of ${cores} cores, throughput ≈ ` +
      `min(R, ${hosts}·${cores}) × ${r1.toFixed(2)} items/s (1 replica, measured, process only) × ${efficiency.toFixed(2)} ` +
      `(measured 2-replica efficiency, ${scaleProc.toFixed(2)}x / 2; 2 plain processes got ${scaleMachine.toFixed(2)}x / 2 in the same run) = ${projected.toFixed(1)} items/s at R = ${replicas} ` +
      `(${(projected / rate(plain.ns)).toFixed(1)}x the plain loop), assuming the efficiency holds past 2 replicas and the ` +
      `batch is large enough to split ${replicas} ways (${cpuItems} items: ${Math.floor(cpuItems / replicas)}+ per part); ` +
      `items crossing hosts add network transfer, not measured here`
  )
  writeJson("ray", rows, { projection: { hosts, cores, replicas, oneReplicaRate: r1, efficiency, projected } })
} finally {
  await cluster.stop()
}
