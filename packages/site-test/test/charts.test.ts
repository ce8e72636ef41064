// The perf page's tables and SVG charts match docs/perf/*.json: scripts/charts.mjs --check fails when they were not regenerated.
import { spawnSync } from "node:child_process"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")

it("docs/guides/performance.md and docs/perf/*.svg are generated from the benchmarks' JSON", () => {
  const run = spawnSync(process.execPath, [join(root, "scripts", "charts.mjs"), "--check"], { encoding: "utf8" })
  expect(run.stderr).toBe("")
  expect(run.status).toBe(0)
  expect(run.stdout).toMatch(/^up to date: \d+ files/)
})
