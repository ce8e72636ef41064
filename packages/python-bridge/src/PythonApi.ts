/**
 * PythonApi: the TypeScript end of remotemedia's Python-facing API inside
 * this process. Python code running in the embedded interpreter (a script
 * {@link runScript} runs, or a node of a TypeScript pipeline) calls
 * `remotemedia.execute_pipeline(...)`; the call arrives here, through
 * {@link JsCalls}, and runs on core's executor, while the caller awaits it
 * on its own asyncio loop. Served from the moment the interpreter starts.
 *
 * @since 0.1.0
 */
import { type Executor, executePipeline, executePipelineWithInput, type RuntimeData } from "@remotemedia/core"
import { dirname, resolve } from "node:path"
import { type StartOptions, start } from "./Interpreter.js"
import * as JsCalls from "./JsCalls.js"
import type { PyObject } from "./PyObject.js"

/** The names Python's `remotemedia._runtime` calls. */
const EXECUTE = "remotemedia.execute"
const CANCEL = "remotemedia.cancel"

interface Defaults {
  /** The transport a run uses when Python names none (a script run's `--transport`). */
  transport: string | undefined
  /** Runs in flight by the token Python gave them; all aborted when a script run is interrupted. */
  readonly runs: Map<string, AbortController>
}

const defaults: Defaults = { transport: undefined, runs: new Map() }

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null

/**
 * One `execute_pipeline*` call from Python: `{ pipeline, inputs, transport, run }` (`inputs` null: run once
 * without input, as `executePipeline`; `run`: a token to cancel it by). A graph with several sinks
 * resolves to their outputs by node id (a dict in Python).
 */
const execute = async (request: unknown): Promise<Executor.Outputs> => {
  const inputs = isRecord(request) ? request["inputs"] : undefined
  if (!isRecord(request) || !(Array.isArray(inputs) || inputs === null) || typeof request["run"] !== "string") {
    throw new TypeError("remotemedia.execute expects { pipeline, inputs: list | None, transport, run: str }")
  }
  const transport = request["transport"]
  const token = request["run"]
  const controller = new AbortController()
  defaults.runs.set(token, controller)
  try {
    const options = { transport: typeof transport === "string" ? transport : defaults.transport, signal: controller.signal }
    return await (inputs === null
      ? executePipeline(request["pipeline"], options)
      : executePipelineWithInput(request["pipeline"], inputs as ReadonlyArray<RuntimeData.RuntimeData>, options))
  } finally {
    defaults.runs.delete(token)
  }
}

/** Python stopped awaiting a run (its task was cancelled): the run stops too, cleaning its nodes up. */
const cancel = (token: unknown): void => {
  if (typeof token === "string") defaults.runs.get(token)?.abort(new Error("the Python caller cancelled the run"))
}

let serving = false

/**
 * Serves the executor to Python code in this process (idempotent; the
 * interpreter's `start()` does it).
 *
 * @category serving
 * @since 0.1.0
 */
export const serveExecutor = (): void => {
  if (serving) return
  serving = true
  JsCalls.serve({ [EXECUTE]: execute, [CANCEL]: cancel })
}

/**
 * Options of {@link runScript}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ScriptOptions extends Pick<StartOptions, "venv" | "python"> {
  /** The transport of the script's runs when it names none (else core's selection). */
  readonly transport?: string | undefined
  /**
   * Aborting stops the script: its runs in flight are aborted (their nodes
   * cleaned up) and `KeyboardInterrupt` is raised in it; it resolves to 130
   * once the script ends (at most `graceMs` later).
   */
  readonly signal?: AbortSignal | undefined
  /** How long an interrupted script may take to end (ms). Default 5000. */
  readonly graceMs?: number | undefined
}

/**
 * Runs a Python script inside this runtime, as `python script.py argv...`
 * would (`__name__ == "__main__"`, `sys.argv`, its directory first on
 * `sys.path`), on a Python thread of its own; its
 * `remotemedia.execute_pipeline*` calls run on this process's executor.
 * Resolves to its exit code: 0, `SystemExit`'s code, 1 after an uncaught
 * exception (its traceback printed on stderr), 130 after an interrupt.
 *
 * @category running
 * @since 0.1.0
 */
export const runScript = async (path: string, argv: ReadonlyArray<string>, options: ScriptOptions = {}): Promise<number> => {
  const file = resolve(path)
  const python = start({ venv: options.venv, python: options.python, paths: [dirname(file)] })
  serveExecutor()
  defaults.transport = options.transport
  const run: PyObject = await (await python.import("remotemedia._script")).callMethod("ScriptRun", [file, [path, ...argv]])
  const finished = run.callMethodJs("wait") as Promise<number>
  const signal = options.signal
  if (signal === undefined) return finished
  let onAbort: (() => void) | undefined
  const interrupted = new Promise<number>((resolveCode) => {
    onAbort = () => {
      for (const controller of defaults.runs.values()) controller.abort(signal.reason)
      void run.callMethodJs("interrupt").catch(() => undefined)
      const grace = setTimeout(() => resolveCode(130), options.graceMs ?? 5000)
      void finished.finally(() => {
        clearTimeout(grace)
        resolveCode(130)
      })
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener("abort", onAbort, { once: true })
  })
  try {
    return await Promise.race([finished, interrupted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort)
  }
}
