/**
 * The executor: loads every node of a pipeline (TypeScript nodes in-process,
 * Python nodes through the selected Transport) inside one Scope, then runs
 * the stages concurrently, joined by bounded queues (backpressure), each
 * stage mapping each item to 0..N outputs in order. A graph runs as its
 * maximal chains (each loaded and run like a chain pipeline, so transports
 * still fuse consecutive Python nodes) joined by pumps: fan-out offers each
 * output to every successor, fan-in merges in arrival order (streams) or
 * concatenates predecessors' outputs in connection order (collected runs). Stages take whatever
 * items are waiting (up to `maxBatch`, and in streams up to what fits the
 * `maxBatchMs` budget) in one call, so a busy pipeline pays per-call costs
 * once per batch while a trickle, or slow items, still flow item by item.
 *
 * @since 0.1.0
 */
import { type Cause, Effect, Logger, Option, Pull, Queue, type Scope, Stream } from "effect"
import { asyncChunks } from "./internal/asyncChunks.js"
import { BatchSizer } from "./internal/batchSizer.js"
import { keepAlive } from "./internal/keepAlive.js"
import { Collector, type PipelineMetrics } from "./Metrics.js"
import { describeValue, isTsNode, type TsNode } from "./NodeRef.js"
import { chainOrder, checkGraph, segments, type Shape } from "./internal/graph.js"
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
 * The outputs of a pipeline with several sink nodes (nodes no connection
 * leaves), by sink node id, each sink's outputs in order.
 *
 * @category models
 * @since 0.1.0
 */
export interface SinkOutputs {
  readonly [nodeId: string]: ReadonlyArray<RuntimeData>
}

/**
 * What a run returns: the outputs of its one sink node, in order (every
 * chain, and a graph with one sink), or with several sinks, each sink's
 * outputs by node id.
 *
 * @category models
 * @since 0.1.0
 */
export type Outputs = ReadonlyArray<RuntimeData> | SinkOutputs

/**
 * Outputs plus metrics, returned when `metrics: true`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunResult<O extends Outputs = Outputs> {
  readonly outputs: O
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

/** Loads a chain of nodes: consecutive Python nodes through the transport together, TS nodes here. */
const loadChain = (
  nodes: ReadonlyArray<PipelineNode>,
  transport: () => Effect.Effect<Transport["Service"], TransportUnavailable>,
  report: (e: NodeCleanupError) => void
) =>
  Effect.gen(function*() {
    const stages: Array<Stage> = []
    for (const group of groupNodes(nodes)) {
      if (group._tag === "Ts") {
        stages.push(yield* TsStage.load(group.node.id, group.node.ref, report))
      } else {
        stages.push(...(yield* (yield* transport()).load(group.nodes, report)))
      }
    }
    return stages
  })

/** The run's transport, acquired when the first Python node needs it. */
const lazyTransport = (options: ExecuteOptions) => {
  let transport: Transport["Service"] | undefined
  return () =>
    transport === undefined
      ? Effect.tap(acquireTransport(options), (t) => Effect.sync(() => (transport = t)))
      : Effect.succeed(transport)
}

const misplacedSource = (pipeline: Pipeline, id: string, reason: string) =>
  new InvalidPipelineInput({
    summary: "Invalid pipeline",
    issues: [{ position: pipeline.nodes.findIndex((n) => n.id === id), type: "source node", reason }]
  })

const loadStages = (pipeline: Pipeline, options: ExecuteOptions, report: (e: NodeCleanupError) => void) =>
  Effect.gen(function*() {
    yield* transportOption(options.transport) // a bad option fails even when no Python node needs a transport
    const stages = yield* loadChain(pipeline.nodes, lazyTransport(options), report)
    const misplaced = stages.findIndex((s, i) => i > 0 && s._tag === "Source")
    if (misplaced > 0) {
      const id = stages[misplaced]!.nodeIds[0]!
      return yield* misplacedSource(pipeline, id, `source node '${id}' takes no input, so it must come first`)
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

type Channel<E> = Queue.Queue<RuntimeData, E | PipelineError | Cause.Done>

/** Where one connection delivers its upstream node's outputs. */
interface Inlet<E> {
  readonly offer: (items: ReadonlyArray<RuntimeData>) => Effect.Effect<unknown>
  /** The upstream node has no more outputs. */
  readonly end: Effect.Effect<unknown>
  readonly fail: (cause: Cause.Cause<E | PipelineError>) => Effect.Effect<unknown>
}

/** Runs `from` into every inlet (each batch offered to each in turn: the slowest successor sets the pace), then ends or fails them all. */
const distribute = <E>(from: Channel<E>, inlets: ReadonlyArray<Inlet<E>>, maxBatch: number) =>
  Effect.forever(
    Effect.flatMap(Queue.takeBetween(from, 1, maxBatch), (items) => Effect.forEach(inlets, (inlet) => inlet.offer(items), { discard: true }))
  ).pipe(
    Effect.catchCause((cause) =>
      Pull.isDoneCause(cause)
        ? Effect.forEach(inlets, (inlet) => inlet.end, { discard: true })
        : Effect.forEach(inlets, (inlet) => inlet.fail(cause as Cause.Cause<E | PipelineError>), { discard: true })
    )
  )

/** A queue's items into `into` until it ends (then succeeds) or fails (then fails the same way). */
const drain = <E>(from: Channel<E>, into: Channel<E>) =>
  Effect.forever(Effect.flatMap(Queue.takeBetween(from, 1, Number.MAX_SAFE_INTEGER), (items) => Queue.offerAll(into, items))).pipe(
    Effect.catchCause((cause) => Pull.isDoneCause(cause) ? Effect.void : Effect.failCause(cause as Cause.Cause<E | PipelineError>))
  )

/**
 * The inlets of a node's incoming connections, feeding `queue`. Streams
 * merge in arrival order: every inlet offers to the one bounded queue, which
 * ends when all have ended. Collected runs concatenate in connection order,
 * as upstream's batch executor does: each inlet fills its own unbounded
 * queue (so no branch waits on another), drained one after another; any
 * failure fails `queue` at once.
 */
const inletsOf = <E>(count: number, queue: Channel<E>, ordered: boolean) =>
  Effect.gen(function*() {
    const fail = (cause: Cause.Cause<E | PipelineError>) => Queue.failCause(queue, cause)
    if (!ordered || count === 1) {
      let open = count
      const inlet: Inlet<E> = {
        offer: (items) => Queue.offerAll(queue, items),
        end: Effect.suspend(() => --open === 0 ? Queue.end(queue) : Effect.void),
        fail
      }
      return Array.from({ length: count }, () => inlet)
    }
    const parts: Array<Channel<E>> = []
    for (let i = 0; i < count; i++) parts.push(yield* Queue.unbounded<RuntimeData, E | PipelineError | Cause.Done>())
    yield* Effect.forkScoped(
      Effect.forEach(parts, (part) => drain(part, queue), { discard: true }).pipe(
        Effect.matchCauseEffect({ onSuccess: () => Queue.end(queue), onFailure: fail })
      )
    )
    return parts.map((part): Inlet<E> => ({
      offer: (items) => Queue.offerAll(part, items),
      end: Queue.end(part),
      fail: (cause) => Effect.andThen(Queue.failCause(part, cause), fail(cause))
    }))
  })

/** Where the k-th (from 0) occurrence of `value` is in `list` (a connection given twice delivers twice). */
const nthIndex = (list: ReadonlyArray<number>, value: number, k: number): number => {
  let seen = -1
  return list.findIndex((v) => v === value && ++seen === k)
}

/** A sink node's outputs. */
interface Sink<E> {
  readonly id: string
  readonly stream: Stream.Stream<RuntimeData, E | PipelineError>
}

/**
 * Loads a graph pipeline in the current Scope and returns its sinks' output
 * streams. Each maximal chain is loaded like a chain pipeline (in
 * topological order) and run as one; pumps join them. The caller's input
 * (or `""` without input) goes to every node without incoming connections
 * that is not a source.
 */
const buildGraph = <E>(
  pipeline: Pipeline,
  shape: Shape,
  input: Input<E>,
  options: ExecuteOptions,
  run: { readonly buffer: number; readonly batchMs: number; readonly ordered: boolean },
  collector: Collector | undefined,
  report: (e: NodeCleanupError) => void
): Effect.Effect<ReadonlyArray<Sink<E>>, PipelineError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* transportOption(options.transport)
    const bufferSize = Math.max(1, options.bufferSize ?? run.buffer)
    const maxBatch = Math.max(1, options.maxBatch ?? bufferSize)
    const transport = lazyTransport(options)
    const chains = segments(shape)
    const loaded: Array<ReadonlyArray<Stage>> = []
    for (const chain of chains) loaded.push(yield* loadChain(chain.map((i) => pipeline.nodes[i]!), transport, report))
    for (const [c, stages] of loaded.entries()) {
      const misplaced = stages.findIndex((s, i) => s._tag === "Source" && (i > 0 || shape.preds[chains[c]![0]!]!.length > 0))
      if (misplaced >= 0) {
        const id = stages[misplaced]!.nodeIds[0]!
        return yield* misplacedSource(pipeline, id, `source node '${id}' takes no input, but a connection leads into it`)
      }
    }
    const takesInput = loaded.flatMap((stages, c) => shape.preds[chains[c]![0]!]!.length === 0 && stages[0]!._tag !== "Source" ? [c] : [])
    if (input._tag === "Stream" && takesInput.length === 0) {
      return yield* new InvalidPipelineInput({
        summary: "Invalid pipeline input",
        issues: [{ position: chains[0]![0]!, type: "source node", reason: "every node without incoming connections is a source node, which takes no caller input" }]
      })
    }
    // Each chain: its input queue (none for a source's), its stages run in turn, its output queue.
    const heads = new Map<number, Channel<E>>()
    const tails: Array<Channel<E>> = []
    for (const stages of loaded) {
      let queue = yield* Queue.bounded<RuntimeData, E | PipelineError | Cause.Done>(bufferSize)
      let transforms = stages
      const first = stages[0]!
      if (first._tag === "Source") {
        const counter = collector?.node(first.nodeIds.join("+"))
        const items = counter ? first.items.pipe(Stream.tap(() => Effect.sync(() => counter.itemsOut++))) : first.items
        yield* Effect.forkScoped(feed<E | PipelineError>(items, queue))
        transforms = stages.slice(1)
      } else heads.set(tails.length, queue)
      for (const stage of transforms) {
        const next = yield* Queue.bounded<RuntimeData, E | PipelineError | Cause.Done>(bufferSize)
        const sizer = new BatchSizer(maxBatch, options.maxBatchMs ?? run.batchMs)
        yield* Effect.forkScoped(runStage<E>(stage as TransformStage, queue, next, sizer, collector))
        queue = next
      }
      tails.push(queue)
    }
    // Incoming connections of each chain head, in connection order; then each chain tail's outputs to its successors.
    const chainOf = new Map<number, number>(chains.map((chain, c) => [chain[0]!, c]))
    const inlets = new Map<number, Array<Inlet<E>>>()
    for (const [c, chain] of chains.entries()) {
      const preds = shape.preds[chain[0]!]!
      if (preds.length > 0) inlets.set(c, yield* inletsOf(preds.length, heads.get(c)!, run.ordered))
    }
    const sinks: Array<Sink<E>> = []
    for (const [c, chain] of chains.entries()) {
      const tail = chain[chain.length - 1]!
      const succs = shape.succs[tail]!
      if (succs.length === 0) {
        sinks.push({ id: pipeline.nodes[tail]!.id, stream: Stream.fromQueue(tails[c]!) })
        continue
      }
      const seen = new Map<number, number>()
      const targets = succs.map((next) => {
        const k = seen.get(next) ?? 0
        seen.set(next, k + 1)
        return inlets.get(chainOf.get(next)!)![nthIndex(shape.preds[next]!, tail, k)]!
      })
      yield* Effect.forkScoped(distribute(tails[c]!, targets, maxBatch))
    }
    // The caller's input (or "" without input) to every chain that takes input.
    const entries = takesInput.map((c) => heads.get(c)!)
    const items = input._tag === "Stream" ? input.items : Stream.succeed("")
    yield* Effect.forkScoped(
      Stream.runForEachArray(items, (chunk) => Effect.forEach(entries, (q) => Queue.offerAll(q, chunk), { discard: true })).pipe(
        Effect.matchCauseEffect({
          onSuccess: () => Effect.forEach(entries, (q) => Queue.end(q), { discard: true }),
          onFailure: (cause) => Effect.forEach(entries, (q) => Queue.failCause(q, cause), { discard: true })
        })
      )
    )
    return sinks
  })

/** A built run: its one sink's output stream (every chain, and a graph with one sink), or several sinks'. */
type Built<E> =
  | { readonly _tag: "One"; readonly stream: Stream.Stream<RuntimeData, E | PipelineError> }
  | { readonly _tag: "Many"; readonly sinks: ReadonlyArray<Sink<E>> }

/** How a run is built: its default queue capacity and batch time budget, and how fan-in merges (ordered: in connection order). */
interface RunKind {
  readonly buffer: number
  readonly batchMs: number
  readonly ordered: boolean
}

const COLLECTED: RunKind = { buffer: COLLECT_BUFFER, batchMs: Infinity, ordered: true }
const STREAMED: RunKind = { buffer: STREAM_BUFFER, batchMs: STREAM_BATCH_MS, ordered: false }

/** Builds a chain (or a graph whose connections form one) as a chain, any other graph as a graph. */
const buildRun = <E>(
  pipeline: Pipeline,
  input: Input<E>,
  options: ExecuteOptions,
  run: RunKind,
  collector: Collector | undefined,
  report: (e: NodeCleanupError) => void
): Effect.Effect<Built<E>, PipelineError, Scope.Scope> => {
  const one = (p: Pipeline) =>
    Effect.map(build(p, input, options, run.buffer, run.batchMs, collector, report), (stream): Built<E> => ({ _tag: "One", stream }))
  if (pipeline.connections === undefined) return one(pipeline)
  const { issues, shape } = checkGraph(pipeline.nodes, pipeline.connections)
  if (shape === undefined) return Effect.fail(new InvalidPipelineInput({ summary: "Invalid pipeline connections", issues }))
  const chain = chainOrder(pipeline.nodes.length, shape)
  if (chain !== undefined) return one({ _tag: "Pipeline", name: pipeline.name, nodes: chain.map((i) => pipeline.nodes[i]!) })
  return Effect.map(buildGraph(pipeline, shape, input, options, run, collector, report), (sinks): Built<E> =>
    sinks.length === 1 ? { _tag: "One", stream: sinks[0]!.stream } : { _tag: "Many", sinks })
}

/** Runs `use` on the built run inside a scope, then fails with the first cleanup error if the run succeeded. */
const withPipeline = <E, A, E2>(
  pipelineInput: unknown,
  input: Input<E>,
  options: ExecuteOptions,
  use: (built: Built<E>, collector: Collector | undefined) => Effect.Effect<A, E2>
): Effect.Effect<A, E | E2 | PipelineError> =>
  keepAlive(Effect.gen(function*() {
    const pipeline = yield* normalize(pipelineInput, { name: options.name })
    const cleanupErrors: Array<NodeCleanupError> = []
    const collector = options.metrics === true || options.onMetrics ? new Collector(pipeline.name) : undefined
    const result = yield* Effect.scoped(
      Effect.flatMap(buildRun(pipeline, input, options, COLLECTED, collector, (e) => cleanupErrors.push(e)), (b) => use(b, collector))
    ).pipe(
      Effect.tapCause(() =>
        Effect.forEach(cleanupErrors, (e) => Effect.logWarning(`${e.message} (after the run had already failed)`))
      ),
      Effect.ensuring(Effect.sync(() => collector && options.onMetrics?.(collector.summary())))
    )
    if (cleanupErrors.length > 0) return yield* cleanupErrors[0]!
    return result
  }).pipe(toStderr))

/** The SDK's own warnings (a manifest normalized, a cleanup failing after a failure) go to stderr: stdout is the caller's. */
const toStderr = Effect.provideService(Logger.LogToStderr, true)

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
  if (Symbol.asyncIterator in items) {
    const max = Math.max(1, options.bufferSize ?? STREAM_BUFFER)
    return Stream.flattenIterable(Stream.fromAsyncIterable(asyncChunks(items, max), (cause) => cause))
  }
  return Stream.fromIterable(items, { chunkSize: Math.max(1, options.bufferSize ?? STREAM_BUFFER) })
}

/**
 * Runs every item through the pipeline; resolves to the flattened final
 * outputs in order (one per input for 1:1 nodes), or with `metrics: true`
 * to `{ outputs, metrics }`.
 *
 * On a graph, every node without incoming connections (that is not a source
 * node) receives every item, and the outputs are the sink nodes' (nodes no
 * connection leaves): with one sink, its outputs in order as for a chain;
 * with several, a {@link SinkOutputs} record by sink node id, each sink's
 * outputs in order. A node with several incoming connections receives all
 * outputs of its first predecessor (in connection order), then all of the
 * next one's, as upstream's batch executor does. A node array is always a
 * chain, so its overloads keep the array type.
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipelineWithInput(
  pipeline: ReadonlyArray<unknown>,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult<ReadonlyArray<RuntimeData>>, PipelineError>
export function executePipelineWithInput(
  pipeline: ReadonlyArray<unknown>,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options?: ExecuteOptions
): Effect.Effect<ReadonlyArray<RuntimeData>, PipelineError>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult, PipelineError>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options?: ExecuteOptions
): Effect.Effect<Outputs, PipelineError>
export function executePipelineWithInput(
  pipeline: unknown,
  items: Iterable<RuntimeData> | Stream.Stream<RuntimeData>,
  options: ExecuteOptions = {}
): Effect.Effect<Outputs | RunResult, PipelineError> {
  const stream = Stream.isStream(items) ? items : inputStream(items, options)
  return collectRun(pipeline, { _tag: "Stream", items: stream }, options)
}

/**
 * Runs the pipeline once without caller input: a source node produces the
 * items; otherwise the first node receives `""`, as upstream does (on a
 * graph, every node without incoming connections that is not a source).
 * Outputs as for {@link executePipelineWithInput}.
 *
 * @category execution
 * @since 0.1.0
 */
export function executePipeline(
  pipeline: ReadonlyArray<unknown>,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult<ReadonlyArray<RuntimeData>>, PipelineError>
export function executePipeline(
  pipeline: ReadonlyArray<unknown>,
  options?: ExecuteOptions
): Effect.Effect<ReadonlyArray<RuntimeData>, PipelineError>
export function executePipeline(
  pipeline: unknown,
  options: ExecuteOptions & { readonly metrics: true }
): Effect.Effect<RunResult, PipelineError>
export function executePipeline(pipeline: unknown, options?: ExecuteOptions): Effect.Effect<Outputs, PipelineError>
export function executePipeline(
  pipeline: unknown,
  options: ExecuteOptions = {}
): Effect.Effect<Outputs | RunResult, PipelineError> {
  return collectRun(pipeline, { _tag: "None" }, options)
}

/** Every output of the run: the one sink's in order, or each sink's by node id (sinks run concurrently, the first failure ends all). */
const collectOutputs = (built: Built<never>): Effect.Effect<Outputs, PipelineError> =>
  built._tag === "One"
    ? Stream.runCollect(built.stream)
    : Effect.map(
      Effect.forEach(built.sinks, (sink) => Stream.runCollect(sink.stream), { concurrency: "unbounded" }),
      (all): SinkOutputs => Object.fromEntries(built.sinks.map((sink, i) => [sink.id, all[i]!]))
    )

const collectRun = (pipeline: unknown, input: Input<never>, options: ExecuteOptions) =>
  withPipeline(pipeline, input, options, (built, collector) =>
    Effect.map(collectOutputs(built), (outputs): Outputs | RunResult =>
      collector && options.metrics === true ? { outputs, metrics: collector.summary() } : outputs))

/**
 * Streams items through the pipeline as they arrive. On a graph, a node
 * with several incoming connections takes items in arrival order, a node
 * with several outgoing ones offers each output to every successor (the
 * slowest sets the pace: queues stay bounded), and the outputs of several
 * sink nodes are merged in arrival order. Nodes are initialized
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
    const main = Stream.unwrap(Effect.map(
      buildRun(pipelineValue, input, options, STREAMED, collector, (e) => cleanupErrors.push(e)),
      (built) => built._tag === "One" ? built.stream : Stream.mergeAll(built.sinks.map((sink) => sink.stream), { concurrency: "unbounded" })
    ))
    return Stream.concat(
      main,
      Stream.fromEffectDrain(Effect.suspend(() => cleanupErrors.length > 0 ? Effect.fail(cleanupErrors[0]!) : Effect.void))
    ).pipe(Stream.ensuring(Effect.sync(() => collector && options.onMetrics?.(collector.summary()))))
  })).pipe(Stream.provideService(Logger.LogToStderr, true))
  return Stream.transformPull(run, (pull) => Effect.succeed(keepAlive(pull)))
}
