/**
 * PythonScripts: the conformance scenarios as a Python developer writes them
 * (`scripts/python/*.py`, each `asyncio.run(main())` under `if __name__ ==
 * "__main__"`), run as child processes the way users run them — through
 * `remotemedia run script.py` inside the runtime, or standalone as `python
 * script.py` — and judged on the JSON report each prints, its exit code and
 * the lifecycle its nodes logged: a stateful node beside a manifest node
 * across two calls, the argument contract and node exceptions keeping their
 * class, every kind of data round-tripping, a caller that stops waiting
 * stopping the run, a crashing worker, and cyclic data.
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
 * How to run a scenario script, and what the way of running it shows.
 *
 * @category models
 * @since 0.1.0
 */
export interface PythonScriptMode {
  /** Shown in the suite's name, e.g. `cli inproc`. */
  readonly name: string
  /** The command line running `script` with `args` as its `sys.argv[1:]`, and extra environment. */
  readonly command: (script: string, args: ReadonlyArray<string>) => {
    readonly file: string
    readonly args: ReadonlyArray<string>
    readonly env?: Readonly<Record<string, string>>
  }
  /** The nodes that run are the script's own objects (their state is visible to it afterwards). */
  readonly sharesObjects: boolean
  /** Nodes run in another process, so a node killing its process is a `TransportError`, not the script's death. */
  readonly isolatesCrashes: boolean
}

/**
 * Where the scenario scripts are.
 *
 * @category constants
 * @since 0.1.0
 */
export const scriptsDir: string = fileURLToPath(new URL("../scripts/python/", import.meta.url))

interface Outcome {
  readonly code: number | null
  readonly report: unknown
  readonly stderr: string
  /** Per process: how often it logged each event. */
  readonly lifecycle: ReadonlyMap<string, Readonly<Record<string, number>>>
}

const run = (mode: PythonScriptMode, scenario: string, timeoutMs: number): Promise<Outcome> => {
  const log = join(mkdtempSync(join(tmpdir(), "python-script-")), "lifecycle.log")
  const { file, args, env } = mode.command(join(scriptsDir, `${scenario}.py`), [log])
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const lifecycle = eventsByPid(log, false)
      const last = stdout.trim().split("\n").at(-1) ?? ""
      let report: unknown
      try {
        report = JSON.parse(last)
      } catch {
        report = undefined
      }
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, report, stderr, lifecycle })
    })
  })
}

const ok = (outcome: Outcome): Record<string, unknown> => {
  assert.strictEqual(outcome.code, 0, outcome.stderr)
  assert.isObject(outcome.report, outcome.stderr)
  return outcome.report as Record<string, unknown>
}

/**
 * Registers the Python-script scenarios for one way of running them.
 *
 * @category suites
 * @since 0.1.0
 */
export const pythonScriptSuite = (mode: PythonScriptMode, timeoutMs = 90_000): void => {
  const scenario = (name: string) => run(mode, name, timeoutMs)
  describe(`${mode.name}: Python scripts`, () => {
    it("a stateful node beside a manifest node, across two calls; execute_pipeline feeds \"\"; every item in order", async () => {
      const outcome = await scenario("lifecycle")
      const report = ok(outcome)
      assert.deepStrictEqual(report["first"], [{ x: 1, total: 1 }, { x: 2, total: 3 }, { x: 3, total: 6 }])
      assert.strictEqual(report["single"], "!")
      assert.isTrue(report["many_ok"])
      assert.deepStrictEqual(report["local"], [42], "a node class defined inside a function")
      const caller = String(report["pid"])
      if (mode.sharesObjects) {
        assert.deepStrictEqual(report["second"], [{ x: 4, total: 10 }], "the second call continues the same object")
        assert.strictEqual(report["caller_total"], 10, "the caller sees its object's state")
        assert.deepStrictEqual([...outcome.lifecycle.entries()], [[caller, { initialize: 2, cleanup: 2 }]])
      } else {
        assert.deepStrictEqual(report["second"], [{ x: 4, total: 4 }], "each call ships the caller's copy again")
        assert.strictEqual(report["caller_total"], 0)
        assert.deepStrictEqual(outcome.lifecycle.get(caller), { cleanup: 2 }, "cleaned up before each shipping")
        const workers = [...outcome.lifecycle.entries()].filter(([pid]) => pid !== caller)
        assert.lengthOf(workers, 2)
        for (const [, counts] of workers) assert.deepStrictEqual(counts, { initialize: 1, cleanup: 1 })
      }
    }, timeoutMs)

    it("bad arguments raise before anything runs; node exceptions keep their class, message and traceback", async () => {
      const report = ok(await scenario("errors"))
      const raised = (name: string) => report[name] as { type: string; message: string; same_class: boolean | null; traceback_names_process: boolean }
      assert.deepInclude(raised("bad_items"), {
        type: "TypeError",
        message: "List items must be Node instances or dict manifests. Found invalid types at positions: [(1, 'str'), (2, 'float')]"
      })
      assert.strictEqual(raised("not_a_node").type, "TypeError")
      assert.include(raised("not_a_node").message, "NotANode")
      assert.strictEqual(raised("empty").type, "ValueError")
      assert.include(raised("empty").message, "empty")
      assert.deepInclude(raised("input_not_list"), { type: "TypeError", message: "input_data must be a list, got str" })
      assert.deepInclude(raised("input_empty"), { type: "ValueError", message: "input_data cannot be empty" })
      assert.strictEqual(raised("other_type").type, "TypeError")
      assert.include(raised("other_type").message, "int")
      assert.deepInclude(raised("value_error"), { type: "ValueError", message: "bad sample rate 7", traceback_names_process: true })
      assert.deepInclude(raised("custom"), { type: "BadChunk", message: "chunk 3 is torn", same_class: true, traceback_names_process: true })
    }, timeoutMs)

    it("every kind of data round-trips unchanged", async () => {
      const report = ok(await scenario("data"))
      const cases = report["cases"] as Record<string, string>
      assert.strictEqual(report["count"], 22)
      assert.deepStrictEqual(Object.entries(cases).filter(([, v]) => v !== "ok"), [])
    }, timeoutMs)

    it("a caller that stops waiting stops the run, and its node is cleaned up", async () => {
      const report = ok(await scenario("cancel"))
      assert.isTrue(report["cancelled"])
      assert.isNumber(report["cleaned_within_s"], "cleanup() ran")
      assert.isBelow(report["cleaned_within_s"] as number, 10)
    }, timeoutMs)

    it.skipIf(!mode.isolatesCrashes)("a node killing its worker raises WorkerCrashedError, and the script goes on", async () => {
      const report = ok(await scenario("crash"))
      assert.deepInclude(report, { raised: "WorkerCrashedError", transport_error: true })
      assert.include(report["message"] as string, "dies_0")
    }, timeoutMs)

    it("cyclic input is refused with a TypeError naming the cycle", async () => {
      const report = ok(await scenario("cycle"))
      assert.strictEqual(report["type"], "TypeError")
      const message = report["message"] as string
      assert.include(message, "cyclic data")
      assert.match(message, /inputs'?\]?\[0\]\]?\.?\[?'?samples'?\]?\[2\]/)
      assert.include(message, "refers back to")
    }, timeoutMs)
  })
}
