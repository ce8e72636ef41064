// Shared by the bench cases: timing helpers and the interpreter.
import { Effect } from "effect"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { PythonEnvironment } from "@remotemedia/core"
import { median } from "../../stats.mjs"

export { median }

export const here = dirname(fileURLToPath(import.meta.url))
const found = PythonEnvironment.find({}, { cwd: join(here, "../../..") })
if (found._tag === "NotFound") throw new Error(found.reason)
export const python = process.env.PYTHON_BIN ?? found.python
export const now = () => process.hrtime.bigint()
export const since = (t0) => Number(process.hrtime.bigint() - t0)
/** Prints the case's result as the last stdout line (the runner parses it). */
export const report = (result) => process.stdout.write(JSON.stringify(result) + "\n")
/** Times `reps` awaited calls of `f` after `warm` untimed ones; the median in ns. */
export const timeCalls = async (f, reps, warm) => {
  for (let i = 0; i < warm; i++) await f(i)
  const times = new Array(reps)
  for (let i = 0; i < reps; i++) {
    const t0 = now()
    await f(i)
    times[i] = since(t0)
  }
  return median(times)
}

/**
 * The median time of `reps` round trips of `item` through a loaded stage (after a warm-up), as an Effect: the loop
 * runs inside one fiber, as the executor's stage calls do.
 */
export const medianRoundTrip = (stage, item, reps) =>
  Effect.gen(function*() {
    const warm = Math.max(3, Math.min(200, reps / 10))
    const times = []
    for (let i = 0; i < warm + reps; i++) {
      const t0 = now()
      yield* stage.process([item], { firstIndex: i + 1 })
      if (i >= warm) times.push(since(t0))
    }
    return median(times)
  })
