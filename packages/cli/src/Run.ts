// Run: `remotemedia run <target>` — stream the inputs through the pipeline, one JSON line per output as it comes; Ctrl-C aborts with cleanup.
import { once } from "node:events"
import { type Metrics, type RuntimeData, streamPipeline, TransportSelection } from "@remotemedia/core"
import { Cause, Effect, Exit } from "effect"
import { CliError } from "./CliError.js"
import { readInputs } from "./Inputs.js"
import { encode } from "./JsonCodec.js"
import { Progress } from "./Progress.js"
import { runScript } from "./script.js"
import { loadPipeline, parseTarget } from "./Target.js"

type Value = RuntimeData.RuntimeData

/** The options of `remotemedia run`. */
export interface RunOptions {
  readonly target: string
  /** Arguments after the target (only a Python script takes them). */
  readonly args: ReadonlyArray<string>
  readonly transport: string | undefined
  readonly inputs: ReadonlyArray<string>
  readonly inputFile: string | undefined
  readonly metrics: boolean
  readonly configFile: string | undefined
  readonly verbose: boolean
}

/** The exit code of a run stopped by SIGINT (128 + 2), as shells report it. */
export const INTERRUPTED = 130

/** Checks the transport choice (option, env, config file) before anything starts; an unknown `--transport` is a usage error. */
const checkTransport = async (options: RunOptions, cwd: string): Promise<void> => {
  const exit = await Effect.runPromiseExit(
    TransportSelection.select({ transport: options.transport, configFile: options.configFile, cwd })
  )
  if (Exit.isSuccess(exit)) {
    if (options.verbose) process.stderr.write(`remotemedia: transport ${exit.value.name} (from ${exit.value.source})\n`)
    return
  }
  const error = Cause.squash(exit.cause)
  const unknownOption = options.transport !== undefined && !(options.transport in TransportSelection.KnownTransports)
  throw new CliError(error instanceof Error ? error.message : String(error), unknownOption ? 2 : 1)
}

/**
 * Aborts `controller` on the first SIGINT (the run stops between items and
 * cleans every node up); a second SIGINT exits at once. Returns the remover.
 */
const onInterrupt = (controller: AbortController): (() => void) => {
  const handler = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED)
    process.stderr.write("\nremotemedia: interrupted, cleaning up (Ctrl-C again to exit now)\n")
    controller.abort(new CliError("interrupted"))
  }
  process.on("SIGINT", handler)
  return () => process.off("SIGINT", handler)
}

async function* counted(items: Iterable<Value> | AsyncIterable<Value>, progress: Progress): AsyncGenerator<Value> {
  for await (const item of items) {
    progress.countIn()
    yield item
  }
}

const writeLine = async (line: string): Promise<void> => {
  if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain")
}

/**
 * Runs the command; resolves to the exit code (0, or 130 after an
 * interrupt) or rejects with the failure (a CliError, a core pipeline
 * error, a Python error).
 *
 * Outputs come from core's `streamPipeline`: it runs the same stages and
 * lifecycle as `executePipelineWithInput` (and without input, like
 * `executePipeline`), but hands each output over as it is produced, so
 * lines appear while the run goes and a long input is never held in memory.
 */
export const runCommand = async (options: RunOptions): Promise<number> => {
  const cwd = process.cwd()
  const target = parseTarget(options.target)
  if (target.kind !== "script" && options.args.length > 0) {
    throw new CliError(`unexpected argument '${options.args[0]}' (only a Python script takes arguments)`, 2)
  }
  await checkTransport(options, cwd)
  const inputs = await readInputs(options.inputs, options.inputFile, cwd)
  const controller = new AbortController()
  const removeHandler = onInterrupt(controller)
  const progress = new Progress(process.stderr)
  let metrics: Metrics.PipelineMetrics | undefined
  try {
    if (target.kind === "script") {
      return await runScript(target.path, options.args, {
        transport: options.transport,
        configFile: options.configFile,
        verbose: options.verbose,
        signal: controller.signal
      })
    }
    const pipeline = await loadPipeline(target, cwd)
    const outputs = streamPipeline(pipeline, inputs === undefined ? undefined : counted(inputs, progress), {
      transport: options.transport,
      configFile: options.configFile,
      cwd,
      signal: controller.signal,
      ...(options.metrics ? { onMetrics: (m: Metrics.PipelineMetrics) => (metrics = m) } : {})
    })
    for await (const output of outputs) {
      progress.countOut()
      progress.clear()
      await writeLine(JSON.stringify(encode(output)))
    }
    return 0
  } catch (e) {
    if (controller.signal.aborted) return INTERRUPTED
    throw e
  } finally {
    removeHandler()
    progress.stop()
    if (metrics !== undefined) process.stderr.write(`${JSON.stringify(metrics)}\n`)
  }
}
