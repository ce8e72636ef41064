// Shared by the benchmark runners: medians, alternated A/B pairs, time formatting and the `--json` report.
import { writeFileSync } from "node:fs"
import { cpus } from "node:os"

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
/** Runs `a` and `b` alternately `k` times each (so drift on this shared machine hits both alike); their medians. */
export const pair = (k, a, b) => {
  const as = []
  const bs = []
  for (let i = 0; i < k; i++) {
    as.push(a())
    bs.push(b())
  }
  return [median(as), median(bs)]
}
export const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`)
/** The `--json <file>` option of a runner: writes `{ runner, date, quick, cpus, rows }` there (rows hold raw figures, ns unless `unit` says). */
export const writeJson = (runner, rows, extra = {}) => {
  const i = process.argv.indexOf("--json")
  if (i < 0) return
  const file = process.argv[i + 1]
  const report = { runner, date: new Date().toISOString(), quick: process.argv.includes("--quick"), cpus: cpus().length, ...extra, rows }
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`wrote ${file}`)
}
