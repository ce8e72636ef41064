/**
 * The executor: loads every node of a pipeline (TypeScript nodes in-process,
 * Python nodes through the selected Transport) inside one Scope, then runs
 * the stages concurrently, joined by bounded queues (backpressure), each
 * stage mapping each item to 0..N outputs in order. Stages take whatever
 * items are waiting (up to `maxBatch`, and in streams up to what fits the
 * `maxBatchMs` budget) in one call, so a busy pipeline pays per-call costs
 * once per batch while a trickle, or slow items, still flow item by item.
 *
 * @since 0.1.0
 */
import { type Cause, Effect, Option, Pull, Queue, type Scope, Stream } from "effect"
import { BatchSizer } from "./internal/batchSizer.js"
import { keepAlive } from "./internal/keepAlive.js"
import { Collector, type PipelineMetrics } from "./Metrics.js"
import { describeValue, isTsNode, type TsNode } from "./NodeRef.js"
import { normalize, type Pipeline, type PipelineNode } from "./Pipeline.js"
import {
  InvalidPipelineInput,
  type NodeCleanupError,
  type NodeProcessError,
  type PipelineError,
  TransportUnavailable
} from "./PipelineError.js"
import type { RuntimeData } from "./RuntimeData.js"
import { PartialBatch, type Stage, type TransformStage, Transport } from "./Transport.js"
import * as TransportSelection from "./TransportSelection.js"
import * as TsStage from "./TsStage.js"

/**
 * Options every entry point takes.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExecuteOptions extends Omit<TransportSelection.SelectionInput, "transport"> {
  /**
   * A transport name or package (see `TransportSelection`), or a transport
   * service to use as it is (e.g. one a transport package's factory made).
   */
  readonly transport?: string | Transport["Service"] | undefined
  /**
   * Capacity of the queue after each stage (items). Default 1024 for
   * `executePipeline*` (which keep every output anyway), 64 for
   * `streamPipeline` (which holds only what is in flight).
   */
  readonly bufferSize?: number | undefined
  /** Most items handed to a stage in one call; defaults to the buffer size. */
  readonly maxBatch?: number | undefined
  /**
   * Time budget of one stage call (ms): a stage starts with one item per
   * call and takes more only while a call stays within the budget, measured
   * as it runs. Outputs then flow about every `maxBatchMs` even when items are
   * slow, and a stop (abort, `break`) lands between items. Default 10 for
   * `streamPipeline`; unbounded for `executePipeline*` (batches of up to
   * `maxBatch`, for throughput; transports still stop between items there).
   */
  readonly maxBatchMs?: number | undefined
  /** Collect per-node metrics; `executePipeline*` then resolve to `{ outputs, metrics }`. */
  readonly metrics?: boolean | undefined
  /** Called with the run's metrics when it ends, successfully or not (implies collection). */
  readonly onMetrics?: ((metrics: PipelineMetrics) => void) | undefined
  /** Name for a pipeline built from a node array. */
  readonly name?: string | undefined
}

/**
 * Outputs plus metrics, returned when `metrics: true`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunResult {
  readonly outputs: ReadonlyArray<RuntimeData>
  readonly metrics: PipelineMetrics
}

type Group =
  | { readonly _tag: "Ts"; readonly node: PipelineNode & { readonly ref: TsNode<unknown, unknown> } }
  | { readonly _tag: "Python"; readonly nodes: ReadonlyArray<PipelineNode> }

/** Consecutive Python nodes go to the transport together; TS nodes run here. */
const groupNodes = (nodes: ReadonlyArray<PipelineNode>): ReadonlyArray<Group> => {
  const groups: Array<Group> = []
  let run: Array<PipelineNode> = []
  const flush = () => {
    if (run.length > 0) groups.push({ _tag: "Python", nodes: run })
    run = []
  }
  for (const node of nodes) {
    if (isTsNode(node.ref)) {
      flush()
      groups.push({ _tag: "Ts", node: node as PipelineNode & { readonly ref: TsNode<unknown, unknown> } })
    } else run.push(node)
  }
  flush()
  return groups
}

/** Checks the `transport` option: a name, a transport service, or absent. */
const transportOption = (
  transport: unknown
): Effect.Effect<string | Transport["Service"] | undefined, TransportUnavailable> => {
  if (transport === undefined || typeof transport === "string") return Effect.succeed(transport)
  const fields = typeof transport === "object" && transport !== null ? (transport as Record<string, unknown>) : {}
  if (typeof fields["name"] === "string" && typeof fields["load"] === "function") {
    return Effect.succeed(transport as Transport["Service"])
  }
  const promise = typeof fields["then"] === "function"
  return Effect.fail(
    new TransportUnavailable({
      transport: promise ? "(a Promise)" : `(${describeValue(transport)})`,
      packageName: "",
      detail: promise
        ? "the 'transport' option is a Promise: await the transport package's create() and pass the service it resolves to"
        : `the 'transport' option must be a transport name such as "ipc" or a transport service (what a transport package's create() resolves to), got ${describeValue(transport)}`
    })
  )
}

/** The transport: one provided by the caller's context or option, else the selected package's (built once per process). */
const acquireTransport = (options: ExecuteOptions) =>
  Effect.gen(function*() {
    const provided = yield* Effect.serviceOption(Transport)
    if (Option.isSome(provided)) return provided.value
    const option = yield* transportOption(options.transport)
    if (typeof option === "object") return option
    const selection = yield* TransportSelection.select({ ...options, transport: option })
    return yield* TransportSelection.acquire(selection)
  })

const loadStages = (pipeline: Pipeline, options: ExecuteOptions, report: (e: NodeCleanupError) => void) =>
  Effect.gen(function*() {
    yield* transportOption(options.transport) // a bad option fails even when no Python node needs a transport
    const stages: Array<Stage> = []
    let transport: Transport["Service"] | undefined
    for (const group of groupNodes(pipeline.nodes)) {
      if (group._tag === "Ts") {
        stages.push(yield* TsStage.load(group.node.id, group.node.ref, report))
      } else {
        transport ??= yield* acquireTransport(options)
        stages.push(...(yield* transport.load(group.nodes, report)))
      }
    }
    const misplaced = stages.findIndex((s, i) => i > 0 && s._tag === "Source")
    if (misplaced > 0) {
      const id = stages[misplaced]!.nodeIds[0]!
      return yield* new InvalidPipelineInput({
        summary: "Invalid pipeline",
        issues: [{
          position: pipeline.nodes.findIndex((n) => n.id === id),
          type: "source node",
          reason: `source node '${id}' takes no input, so it must come first`
        }]
      })
    }
    return stages
  })

/** Default queue capacities: runs that collect every output anyway batch widely; streams hold little in flight. */
const COLLECT_BUFFER = 1024
const STREAM_BUFFER = 64
/** A stream stage's time budget per call (ms): outputs flow at least this often. */
const STREAM_BATCH_MS = 10

/** Caller input: none (one run: the first node gets "" unless it is a source) or a stream. */
type Input<E> = { readonly _tag: "None" } | { readonly _tag: "Stream"; readonly items: Stream.Stream<RuntimeData, E> }

const feed = <E>(
  items: Stream.Stream<RuntimeData, E>,
  queue: Queue.Queue<RuntimeData, E | PipelineError | Cause.Done>
): Effect.Effect<boolean> =>
  Stream.runForEachArray(items, (chunk) => Queue.offerAll(queue, chunk)).pipe(
    Effect.matchCauseEffect({
      onSuccess: () => Queue.end(queue),
      onFailure: (cause) => Queue.failCause(queue, cause)
    })
  )

const runStage = <E>(
  stage: TransformStage,
  input: Queue.Dequeue<RuntimeData, E | PipelineError | Cause.Done>,
  output: Queue.Queue<RuntimeData, E | PipelineError | Cause.Done>,
  sizer: BatchSizer,
  collector: Collector | undefined
) => {
  const id = stage.nodeIds.join("+")
  const counter = collector?.node(id)
  let received = 0
  const deliverPartial = (e: NodeProcessError | PartialBatch) =>
    e instanceof PartialBatch ? Effect.andThen(Queue.offerAll(output, e.outputs), Effect.fail(e.error)) : Effect.fail(e)
  const step = Effect.gen(function*() {
    const batch = yield* Queue.takeBetween(input, 1, sizer.limit)
    const firstIndex = received
    received += batch.length
    const t0 = performance.now()
    if (counter === undefined) {
      const outputs = yield* stage.process(batch, { firstIndex }).pipe(Effect.catch(deliverPartial))
      sizer.record(batch.length, performance.now() - t0)
      yield* Queue.offerAll(output, outputs)
      return
    }
    counter.itemsIn += batch.length
    const timed = counter.times.length
    const outputs = yield* stage.process(batch, { firstIndex, recordItemTime: collector!.recordItemTime }).pipe(
      Effect.catch((e) => {
        counter.errors++
        if (e instanceof PartialBatch) counter.itemsOut += e.outputs.length
        return deliverPartial(e)
      })
    )
    const elapsed = performance.now() - t0
    sizer.record(batch.length, elapsed)
    if (counter.times.length === timed) {
      const each = elapsed / batch.length
      for (let i = 0; i < batch.length; i++) counter.times.push(each)
    }
    counter.itemsOut += outputs.length
    yield* Queue.offerAll(output, outputs)
  })
  return Effect.forever(step).pipe(
    Effect.catchCause((cause) => Pull.isDoneCause(cause) ? Queue.end(output) : Queue.failCause(output, cause))
  )
}

/**
 * Loads the pipeline in the current Scope and returns its output stream.
 * Everything initialized is cleaned up when the Scope closes.
 */
const build = <E>(
  pipeline: Pipeline,
  input: Input<E>,
  options: ExecuteOptions,
  defaultBuffer: number,
  defaultBatchMs: number,
  collector: Collector | undefined,
  report: (e: NodeCleanupError) => void
): Effect.Effect<Stream.Stream<RuntimeData, E | PipelineError>, PipelineError, Scope.Scope> =>
  Effect.gen(function*() {
    const bufferSize = Math.max(1, options.bufferSize ?? defaultBuffer)
    const maxBatch = Math.max(1, options.maxBatch ?? bufferSize)
    const stages = yield* loadStages(pipeline, options, report)
    const first = stages[0]!
    let queue = yield* Queue.bounded<RuntimeData, E | PipelineError | Cause.Done>(bufferSize)
    let transforms: ReadonlyArray<Stage> = stages
    if (first._tag === "Source") {
      if (input._tag === "Stream") {
        return yield* new InvalidPipelineInput({
          summary: "Invalid pipeline input",
          issues: [{ position: 0, type: "source node", reason: `pipeline starts with source node '${first.nodeIds[0]}', which takes no caller input` }]
        })
      }
      const counter = collector?.node(first.nodeIds.join("+"))
      const items = counter ? first.items.pipe(Stream.tap(() => Effect.sync(() => counter.itemsOut++))) : first.items
      yield* Effect.forkScoped(feed<E | PipelineError>(items, queue))
      transforms = stages.slice(1)
    } else {
      yield* Effect.forkScoped(feed<E>(input._tag === "Stream" ? input.items : Stream.succeed(""), queue))
    }
    for (const stage of transforms) {
      const next = yield* Queue.bounded<RuntimeData, E | PipelineError | Cause.Done>(bufferSize)
      const sizer = new BatchSizer(maxBatch, options.maxBatchMs ?? defaultBatchMs)
      yield* Effect.forkScoped(runStage<E>(stage as TransformStage, queue, next, sizer, collector))
      queue = next
    }
    return Stream.fromQueue(queue)
  })

/** Runs `use` on the built stream inside a scope, then fails with the first cleanup error if the run succeeded. */
const withPipeline = <E, A, E2>(
  pipelineInput: unknown,
  input: Input<E>,
  options: ExecuteOptions,
  use: (stream: Stream.Stream<RuntimeData, E | PipelineError>, collector: Collector | undefined) => Effect.Effect<A, E2>
): Effect.Effect<A, E | E2 | PipelineError> =>
  keepAlive(Effect.gen(function*() {
    const pipeline = yield* normalize(pipelineInput, { name: options.name })
    const cleanupErrors: Array<NodeCleanupError> = []
    const collector = options.metrics === true || options.onMetrics ? new Collector(pipeline.name) : undefined
    const result = yield* Effect.scoped(
      Effect.flatMap(build(pipeline, input, options, COLLECT_BUFFER, Infinity, collector, (e) => cleanupErrors.push(e)), (s) => use(s, collector))
    ).pipe(
      Effect.tapCause(() =>
        Effect.forEach(cleanupErrors, (e) => Effect.logWarning(`${e.message} (after the run had already failed)`))
      ),
      Effect.ensuring(Effect.sync(() => collector && options.onMetrics?.(collector.summary())))
    )
    if (cleanupErrors.length > 0) return yield* cleanupErrors[0]!
    return result
  }))

/**
 * Caller input as a stream. Lazy iterables are read a queue's worth at a
 * time, so an infinite generator is never read far ahead of the pipeline.
 *
 * @category execution
 * @since 0.1.0
 */
export function inputStream<E>(items: Stream.Stream<RuntimeData, E>, options?: ExecuteOptions): Stream.Stream<RuntimeData, E>
export function inputStream(items: Iterable<RuntimeData>, options?: ExecuteOptions): Stream.Stream<RuntimeData>
export function inputStream(
  items: Iterable<RuntimeData> | AsyncIterable<RuntimeData>,
  options?: ExecuteOptions
): Stream.Stream<RuntimeData, unknown>
export function inputStream(
  items: Iterable<RuntimeData> | AsyncIterable<RuntimeData> | Stream.Stream<RuntimeData, unknown>,
  options: ExecuteOptions = {}
): Stream.Stream<RuntimeData, unknown> {
  if (Stream.isStream(items)) return items
  if (Array.isArray(items)) return Stream.fromArray(items as ReadonlyArray<RuntimeData>)
  if (Symbol.asyncIterator in items) return Stream.fromAsyncIterable(items, (cause) => cause)
  return Stream.fromIterable(items, { chunkSize: Math.max(1, options.bufferSize ?? STREAM_BUFFER) })
}

/**
 * Runs every item through the pipeline; resolves to the flattened final
 * outputs in order (one per input for 1:1 nodes), or with `metrics: true`
 * to `{ outputs, metrics }`.
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult, PipelineError>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options?: ExecuteOptions
): Effect.Effect<ReadonlyArray<RuntimeData>, PipelineError>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options: ExecuteOptions = {}
): Effect.Effect<ReadonlyArray<RuntimeData> | RunResult, PipelineError> {
  const stream = Stream.isStream(items) ? items : inputStream(items, options)
  return collectRun(pipeline, { _tag: "Stream", items: stream }, options)
}

/**
 * Runs the pipeline once without caller input: a source node produces the
 * items; otherwise the first node receives `""`, as upstream does.
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipeline(
  pipeline: unknown,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult, PipelineError>
export function executePipeline(
  pipeline: unknown,
  options?: ExecuteOptions
): Effect.Effect<ReadonlyArray<RuntimeData>, PipelineError>
export function executePipeline(
  pipeline: unknown,
  options: ExecuteOptions = {}
): Effect.Effect<ReadonlyArray<RuntimeData> | RunResult, PipelineError> {
  return collectRun(pipeline, { _tag: "None" }, options)
}

const collectRun = (pipeline: unknown, input: Input<never>, options: ExecuteOptions) =>
  withPipeline(pipeline, input, options, (stream, collector) =>
    Effect.map(Stream.runCollect(stream), (outputs): ReadonlyArray<RuntimeData> | RunResult =>
      collector && options.metrics === true ? { outputs, metrics: collector.summary() } : outputs))

/**
 * Streams items through the pipeline as they arrive. Nodes are initialized
 * when the stream starts and cleaned up when it ends, fails or is
 * interrupted. Without `items`, runs like `executePipeline`. Metrics are
 * delivered through `onMetrics`. While the consumer waits for the next
 * items the process is kept alive; an idle, unconsumed stream never keeps it.
 *
 * @category execution
 * @since 0.1.0
 */
export const streamPipeline = <E = never>(
  pipeline: unknown,
  items?: Stream.Stream<RuntimeData, E>,
  options: ExecuteOptions = {}
): Stream.Stream<RuntimeData, E | PipelineError> => {
  const input: Input<E> = items === undefined ? { _tag: "None" } : { _tag: "Stream", items }
  const run = Stream.unwrap(Effect.gen(function*() {
    const pipelineValue = yield* normalize(pipeline, { name: options.name })
    const cleanupErrors: Array<NodeCleanupError> = []
    const collector = options.onMetrics ? new Collector(pipelineValue.name) : undefined
    const main = Stream.unwrap(build(pipelineValue, input, options, STREAM_BUFFER, STREAM_BATCH_MS, collector, (e) => cleanupErrors.push(e)))
    return Stream.concat(
      main,
      Stream.fromEffectDrain(Effect.suspend(() => cleanupErrors.length > 0 ? Effect.fail(cleanupErrors[0]!) : Effect.void))
    ).pipe(Stream.ensuring(Effect.sync(() => collector && options.onMetrics?.(collector.summary()))))
  }))
  return Stream.transformPull(run, (pull) => Effect.succeed(keepAlive(pull)))
}
