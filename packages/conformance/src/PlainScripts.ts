/**
 * PlainScripts: what a user's plain `node script.mjs` sees, outside the test
 * runner (which keeps the event loop alive and so hides early exits). Each
 * scenario runs `scripts/run.mjs` as a child process on the transport under
 * test and asserts its printed output, its exit code and the lifecycle its
 * Python nodes logged: a normal run exits promptly with nothing left keeping
 * it alive; a Python exception, a worker crash, an abort, a `break` out of a
 * stream and cyclic or over-deep data each reject with their typed error,
 * every node cleaned up once.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { eventsByPid } from "./internal/processLog.js"

/**
 * What the transport under test can show in a plain script.
 *
 * @category models
 * @since 0.1.0
 */
export interface ScriptCapabilities {
  /** Python runs in another process, so a node killing its process is a `WorkerCrashed`, not the script's death. */
  readonly isolatesCrashes: boolean
}

const script = fileURLToPath(new URL("../scripts/run.mjs", import.meta.url))

interface Outcome {
  readonly code: number | null
  readonly stdout: ReadonlyArray<string>
  readonly stderr: string
  /** Per process that initialized the node: how often it logged each event. */
  readonly lifecycle: ReadonlyArray<Readonly<Record<string, number>>>
}

const run = (scenario: string, transport: string, timeoutMs: number): Promise<Outcome> => {
  const log = join(mkdtempSync(join(tmpdir(), "plain-script-")), "lifecycle.log")
  return new Promise((resolve) => {
    execFile(process.execPath, [script, scenario, transport, log], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const byPid = eventsByPid(log, true)
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
        stdout: stdout.trim().split("\n"),
        stderr,
        lifecycle: [...byPid.values()].filter((counts) => (counts["initialize"] ?? 0) > 0)
      })
    })
  })
}

/** Each process that initialized the node cleaned it up exactly once. */
const cleanedUpOnce = (outcome: Outcome): void => {
  assert.isAbove(outcome.lifecycle.length, 0, "no process initialized the node")
  for (const counts of outcome.lifecycle) assert.deepStrictEqual([counts["initialize"], counts["cleanup"]], [1, 1])
}

/**
 * Registers the plain-script scenarios for the transport named `transport`.
 *
 * @category suites
 * @since 0.1.0
 */
export const plainScriptSuite = (transport: string, capabilities: ScriptCapabilities, timeoutMs = 60_000): void => {
  const scenario = (name: string) => run(name, transport, timeoutMs)
  describe(`${transport}: plain scripts (node script.mjs, no test runner)`, () => {
    it("a normal run prints its outputs and exits with nothing left keeping it alive", async () => {
      const outcome = await scenario("ok")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      assert.deepStrictEqual(outcome.stdout, ["outputs [1,2,3]", "resources []", "end of script"])
      cleanedUpOnce(outcome)
    }, timeoutMs)

    it("a Python exception rejects with NodeProcessError caused by the PythonError", async () => {
      const outcome = await scenario("exception")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      assert.include(outcome.stdout, "rejected NodeProcessError: Node 'raises_0' failed on item 1: ValueError: cannot take 'bad'")
      assert.include(outcome.stdout, "cause PythonError ValueError")
      cleanedUpOnce(outcome)
    }, timeoutMs)

    it.skipIf(!capabilities.isolatesCrashes)("a worker killed mid-run rejects with WorkerCrashed instead of exiting silently", async () => {
      const outcome = await scenario("crash")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      assert.include(outcome.stdout, "cause WorkerCrashed ")
      assert.strictEqual(outcome.stdout.at(-1), "end of script")
    }, timeoutMs)

    it("an abort rejects between items, not after the batch, and cleans up once", async () => {
      const outcome = await scenario("abort")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      const line = outcome.stdout.find((l) => l.startsWith("rejected stopped by the caller"))
      assert.isDefined(line, outcome.stdout.join("\n"))
      // Aborted at 0.3 s with 0.2 s items: the item running then finishes, no later one starts.
      for (const counts of outcome.lifecycle) assert.isAtMost(counts["process"] ?? 0, 2, "items processed after the stop")
      cleanedUpOnce(outcome)
    }, timeoutMs)

    it("a break out of a stream stops the run between items and cleans up once", async () => {
      const outcome = await scenario("break")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      assert.strictEqual(outcome.stdout[0], "got 0")
      for (const counts of outcome.lifecycle) assert.isAtMost(counts["process"] ?? 0, 2, "items processed after the stop")
      cleanedUpOnce(outcome)
    }, timeoutMs)

    it("cyclic data is rejected naming the cycle, over-deep data with a short message", async () => {
      const outcome = await scenario("cycle")
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      assert.include(outcome.stdout, 
        "rejected NodeProcessError: Node 'logged_0' failed on item 0: cyclic data: item.samples[2] refers back to item (a cycle cannot be encoded)"
      )
      assert.include(outcome.stdout, "cause InvalidRuntimeData cycle")
      assert.include(outcome.stdout, "cause InvalidRuntimeData depth")
      const length = Number(outcome.stdout.find((l) => l.startsWith("deep message length "))?.split(" ").at(-1))
      assert.isBelow(length, 300)
    }, timeoutMs)
  })
}
