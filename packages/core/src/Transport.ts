/**
 * Transport: the service that runs Python nodes where they live (embedded
 * interpreter, worker subprocess, shared memory). Given consecutive Python
 * nodes of a pipeline it initializes them inside the caller's Scope (so
 * cleanup runs when the scope closes) and returns stages the executor drives.
 * The executor never knows which transport it drives.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Scope, type Stream } from "effect"
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
export class PartialBatch {
  readonly _tag = "PartialBatch"
  constructor(readonly outputs: ReadonlyArray<RuntimeData>, readonly error: NodeProcessError) {}
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
