/**
 * The plain Promise API for callers who do not use Effect. Each function runs
 * its Effect counterpart from `Executor` and rejects with the very same typed
 * error instance (`NodeProcessError`, `ManifestError`, ...). An AbortSignal
 * interrupts the run: every initialized node is cleaned up, then the promise
 * rejects with the signal's reason.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Stream } from "effect"
import * as Executor from "./Executor.js"
import type { PipelineError } from "./PipelineError.js"
import type { RuntimeData } from "./RuntimeData.js"

/**
 * Options of the Promise API.
 *
 * @category models
 * @since 0.1.0
 */
export interface PromiseOptions extends Executor.ExecuteOptions {
  /** Aborting interrupts the run; nodes are cleaned up before the promise rejects. */
  readonly signal?: AbortSignal | undefined
}

const run = async <A>(effect: Effect.Effect<A, PipelineError>, signal: AbortSignal | undefined): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect, signal ? { signal } : undefined)
  if (Exit.isSuccess(exit)) return exit.value
  if (signal?.aborted && Cause.hasInterruptsOnly(exit.cause)) throw signal.reason
  throw Cause.squash(exit.cause)
}

/**
 * Runs every item through the pipeline and resolves to the final outputs in
 * order; with `metrics: true`, to `{ outputs, metrics }`. A graph with
 * several sink nodes resolves to their outputs by node id
 * (`Executor.SinkOutputs`; see `Executor.executePipelineWithInput`).
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipelineWithInput(
  pipeline: ReadonlyArray<unknown>,
  items: Iterable<RuntimeData>,
  options: PromiseOptions & { readonly metrics: true }
): Promise<Executor.RunResult<ReadonlyArray<RuntimeData>>>
export function executePipelineWithInput(
  pipeline: ReadonlyArray<unknown>,
  items: Iterable<RuntimeData>,
  options?: PromiseOptions
): Promise<ReadonlyArray<RuntimeData>>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData>,
  options: PromiseOptions & { readonly metrics: true }
): Promise<Executor.RunResult>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData>,
  options?: PromiseOptions
): Promise<Executor.Outputs>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData>,
  options: PromiseOptions = {}
): Promise<Executor.Outputs | Executor.RunResult> {
  return run(Executor.executePipelineWithInput(pipeline, items, options), options.signal)
}

/**
 * Runs the pipeline once without caller input (a source node produces the
 * items; otherwise the first node receives `""`). Outputs as for
 * {@link executePipelineWithInput}.
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipeline(
  pipeline: ReadonlyArray<unknown>,
  options: PromiseOptions & { readonly metrics: true }
): Promise<Executor.RunResult<ReadonlyArray<RuntimeData>>>
export function executePipeline(pipeline: ReadonlyArray<unknown>, options?: PromiseOptions): Promise<ReadonlyArray<RuntimeData>>
export function executePipeline(
  pipeline: unknown,
  options: PromiseOptions & { readonly metrics: true }
): Promise<Executor.RunResult>
export function executePipeline(pipeline: unknown, options?: PromiseOptions): Promise<Executor.Outputs>
export function executePipeline(
  pipeline: unknown,
  options: PromiseOptions = {}
): Promise<Executor.Outputs | Executor.RunResult> {
  return run(Executor.executePipeline(pipeline, options), options.signal)
}

/**
 * Streams items through the pipeline as they arrive. Breaking out of the
 * loop stops the run and cleans up every node before the loop is left;
 * aborting the signal does the same, then the iteration rejects with the
 * signal's reason. An error thrown by the caller's `items` iterable ends the
 * run with that error.
 *
 * @category execution
 * @since 0.1.0
 */
export const streamPipeline = (
  pipeline: unknown,
  items?: Iterable<RuntimeData> | AsyncIterable<RuntimeData>,
  options: PromiseOptions = {}
): AsyncIterable<RuntimeData> => {
  const stream = Executor.streamPipeline(pipeline, items === undefined ? undefined : Executor.inputStream(items, options), options)
  const signal = options.signal
  return Stream.toAsyncIterable(
    signal ? stream.pipe(Stream.interruptWhen(Effect.callback<never, unknown>((resume) => {
      const onAbort = () => resume(Effect.fail(signal.reason))
      if (signal.aborted) onAbort()
      else signal.addEventListener("abort", onAbort, { once: true })
      return Effect.sync(() => signal.removeEventListener("abort", onAbort))
    }))) : stream
  )
}
