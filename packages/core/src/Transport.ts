/**
 * Transport: the service that runs Python nodes where they live (embedded
 * interpreter, worker subprocess, shared memory). Given consecutive Python
 * nodes of a pipeline it initializes them inside the caller's Scope (so
 * cleanup runs when the scope closes) and returns stages the executor drives.
 * The executor never knows which transport it drives.
 *
 * @since 0.1.0
 */
import { Context, Effect, Option, type Scope, Stream } from "effect"
import type { PipelineNode } from "./Pipeline.js"
import type { NodeCleanupError, NodeInitializeError, NodeProcessError } from "./PipelineError.js"
import type { RuntimeData } from "./RuntimeData.js"

/**
 * Per-call context the executor hands a stage.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProcessContext {
  /** Index (from 0) of the batch's first item among all items this stage has received. */
  readonly firstIndex: number
  /**
   * Present when metrics are on: a stage that can time single items calls it
   * once per item; otherwise the executor records the batch time spread
   * evenly over its items.
   */
  readonly recordItemTime?: ((nodeId: string, ms: number) => void) | undefined
}

/**
 * A batch that failed part-way: the outputs of the items before the failing
 * one still flow downstream, then the run fails with `error`.
 *
 * @category models
 * @since 0.1.0
 */
export class PartialBatch extends Error {
  readonly _tag = "PartialBatch"
  constructor(readonly outputs: ReadonlyArray<RuntimeData>, readonly error: NodeProcessError) {
    super(`${error.message} (after ${outputs.length} output(s) of the batch)`)
    this.name = "PartialBatch"
  }
}

/**
 * A stage that maps each input item to 0..N outputs, in order. A batch's
 * outputs are the concatenation of each item's outputs. A stage that fails
 * on an item after producing outputs for earlier items of the same batch
 * fails with `PartialBatch` so those outputs are not lost.
 *
 * @category models
 * @since 0.1.0
 */
export interface TransformStage {
  readonly _tag: "Transform"
  /** The nodes this stage runs, in order (a transport may fuse several). */
  readonly nodeIds: ReadonlyArray<string>
  readonly process: (
    items: ReadonlyArray<RuntimeData>,
    context: ProcessContext
  ) => Effect.Effect<ReadonlyArray<RuntimeData>, NodeProcessError | PartialBatch>
}

/**
 * A batch's outcome as a stage returns it: the outputs, or the failure —
 * as a `PartialBatch` when items before the failing one produced outputs.
 *
 * @category constructors
 * @since 0.1.0
 */
export const batchResult = (
  outputs: ReadonlyArray<RuntimeData>,
  error: NodeProcessError | undefined
): Effect.Effect<ReadonlyArray<RuntimeData>, NodeProcessError | PartialBatch> =>
  error === undefined ? Effect.succeed(outputs) : Effect.fail(outputs.length > 0 ? new PartialBatch(outputs, error) : error)

/**
 * How a source hands over its items: at most `maxItems` per call, and a call
 * returns early once `maxWaitMs` have passed and it has items (a slow live
 * source hands over each item as it comes, a fast one fills whole chunks).
 *
 * @category models
 * @since 0.1.0
 */
export interface SourceChunk {
  readonly maxItems: number
  readonly maxWaitMs: number
}

/**
 * The defaults every transport uses (the Python side's are the same:
 * `remotemedia.runtime_host.SOURCE_CHUNK_ITEMS` and `SOURCE_CHUNK_WAIT`).
 *
 * @category models
 * @since 0.1.0
 */
export const SourceChunkDefaults: SourceChunk = { maxItems: 64, maxWaitMs: 5 }

/**
 * A transport's source options over the defaults.
 *
 * @category constructors
 * @since 0.1.0
 */
export const sourceChunk = (options: {
  readonly sourceChunkSize?: number | undefined
  readonly sourceMaxWaitMs?: number | undefined
}): SourceChunk => ({
  maxItems: options.sourceChunkSize ?? SourceChunkDefaults.maxItems,
  maxWaitMs: options.sourceMaxWaitMs ?? SourceChunkDefaults.maxWaitMs
})

/**
 * One call's worth of a source's items: whether the source is exhausted, and
 * the failure that ended it after `items` (which still flow first).
 *
 * @category models
 * @since 0.1.0
 */
export interface SourcePage {
  readonly items: ReadonlyArray<RuntimeData>
  readonly done: boolean
  readonly error?: NodeProcessError | undefined
}

/**
 * A source's items as a stream of pages: `pull(produced)` (how many items
 * came before) is called until a page is done; a page that carries a failure
 * emits its items, then the stream fails with it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const pagedSource = <E, R>(
  pull: (produced: number) => Effect.Effect<SourcePage, E, R>
): Stream.Stream<RuntimeData, E | NodeProcessError, R> => {
  type State = { readonly produced: number; readonly failed?: NodeProcessError | undefined }
  return Stream.paginate<State, RuntimeData, E | NodeProcessError, R>({ produced: 0 }, (state) =>
    state.failed !== undefined
      ? Effect.fail(state.failed)
      : Effect.map(pull(state.produced), (page) => {
        const produced = state.produced + page.items.length
        const next: Option.Option<State> = page.error !== undefined
          ? Option.some({ produced, failed: page.error })
          : page.done
          ? Option.none()
          : Option.some({ produced })
        return [page.items, next] as const
      }))
}

/**
 * A stage that produces items without input.
 *
 * @category models
 * @since 0.1.0
 */
export interface SourceStage {
  readonly _tag: "Source"
  readonly nodeIds: ReadonlyArray<string>
  readonly items: Stream.Stream<RuntimeData, NodeProcessError>
}

/**
 * A loaded, initialized part of a pipeline.
 *
 * @category models
 * @since 0.1.0
 */
export type Stage = TransformStage | SourceStage

/**
 * Receives cleanup failures, which cannot fail a scope's finalizer; the
 * executor reports the first one if the run otherwise succeeded.
 *
 * @category models
 * @since 0.1.0
 */
export type CleanupReporter = (error: NodeCleanupError) => void

/**
 * The transport service.
 *
 * @category services
 * @since 0.1.0
 */
export class Transport extends Context.Service<Transport, {
  /** The transport's name (`inproc`, `ipc`, ...). */
  readonly name: string
  /**
   * Loads and initializes consecutive Python nodes (manifest nodes and
   * instances). Cleanup of everything initialized is attached to the Scope,
   * including when a later node fails to initialize.
   */
  readonly load: (
    nodes: ReadonlyArray<PipelineNode>,
    reportCleanupError: CleanupReporter
  ) => Effect.Effect<ReadonlyArray<Stage>, NodeInitializeError, Scope.Scope>
}>()("@remotemedia/core/Transport") {}
