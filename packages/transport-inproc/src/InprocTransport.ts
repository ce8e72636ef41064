/**
 * InprocTransport: core's `Transport` over the CPython interpreter embedded in
 * this Node.js process (`@remotemedia/python-bridge`). Python instances run as
 * the exact objects the caller holds (FR-002); manifest nodes are built by the
 * registry and serialized instances unpickled in the same interpreter. Every
 * call goes to `remotemedia.runtime_host` on the bridge's Python thread, one
 * call per batch of items, through the host's `*_deferred` functions: a call
 * that meets async code (a coroutine `process`, `initialize` or `cleanup`, an
 * async generator source) returns a coroutine, which the bridge awaits on its
 * one event-loop thread, so async nodes of concurrent pipelines overlap while
 * the Python thread serves other calls. Sync work runs on a pool of Python
 * threads (the bridge's `threads`), each node's calls on one thread, in order,
 * so nodes whose code releases the GIL run in parallel. A node's own exceptions come back as records and
 * become `NodeInitializeError` / `NodeProcessError` / `NodeCleanupError` whose
 * cause is a `PythonError` (type, message, traceback).
 *
 * Each batch and source chunk carries a `CancelToken`, cancelled when the
 * Effect awaiting it is interrupted (an abort, a consumer leaving a stream, a
 * failure elsewhere): the host stops before its next item, so the cleanup
 * calls queued behind it run after the item in progress rather than after the
 * whole batch. An item that cannot cross because it is cyclic or nested too
 * deep fails as that item's `NodeProcessError` with core's
 * `InvalidRuntimeData` as the cause, as on every transport.
 *
 * @since 0.1.0
 */
import {
  NodeCleanupError,
  NodeInitializeError,
  NodeProcessError,
  NodeRef,
  PythonError,
  type Pipeline,
  RuntimeData as Data,
  Transport,
  TransportUnavailable
} from "@remotemedia/core"
import {
  CancelToken,
  type PyObject,
  type Python,
  PythonConversionError,
  pythonObject,
  RuntimeHost,
  start
} from "@remotemedia/python-bridge"
import { Config, Effect, Layer, Schema, type Scope, Stream } from "effect"

/**
 * Options of the in-process transport.
 *
 * @category models
 * @since 0.1.0
 */
export interface InprocOptions {
  /** The virtual environment whose site-packages the interpreter uses (holding `remotemedia`). */
  readonly venv?: string | undefined
  /** An interpreter inside a virtual environment, whose venv is used (core's `PythonEnvironment` precedence). */
  readonly python?: string | undefined
  /** Extra entries for `sys.path`. */
  readonly paths?: ReadonlyArray<string> | undefined
  /** How many Python threads run sync calls, if this transport starts the interpreter. Default: the CPU count, at most 8 (the bridge's `threads`). */
  readonly threads?: number | undefined
  /** Most items a source hands over per call. Default 64 (core's `Transport.SourceChunkDefaults`). */
  readonly sourceChunkSize?: number | undefined
  /** A source call returns early once this many ms have passed and it has items. Default 5 (core's `Transport.SourceChunkDefaults`). */
  readonly sourceMaxWaitMs?: number | undefined
}

const OptionsSchema = Schema.Struct({
  venv: Schema.optional(Schema.String),
  python: Schema.optional(Schema.String),
  paths: Schema.optional(Schema.Array(Schema.String)),
  threads: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  sourceChunkSize: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  sourceMaxWaitMs: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(-1)))
})

type RuntimeData = Data.RuntimeData

const unavailable = (detail: string) => new TransportUnavailable({ transport: "inproc", packageName: "", detail })

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

type Loaded = { readonly object: PyObject; readonly isSource: boolean }

/** The node's Python object: built, unpickled, or the caller's own. */
const obtain = async (host: PyObject, { id, ref }: Pipeline.PipelineNode): Promise<PyObject> => {
  if (NodeRef.isManifestNode(ref)) return host.callMethod("build_node", [ref.nodeType, ref.params, id])
  if (NodeRef.isSerializedInstance(ref)) return host.callMethod("deserialize_instance", [ref.bytes])
  const object = NodeRef.isPythonInstance(ref) ? pythonObject(ref) : undefined
  if (object === undefined) {
    throw new TypeError(`${NodeRef.describeValue(ref)} holds no Python object of this interpreter`)
  }
  return object
}

/** Obtains and initializes a node; throws the PythonError of a failure. */
const open = async (host: PyObject, node: Pipeline.PipelineNode): Promise<Loaded> => {
  const object = await obtain(host, node)
  const info = await RuntimeHost.callJs<{ is_source: boolean; problem: string | null }>(host, "describe_node", [object], object)
  if (info.problem !== null) throw new TypeError(info.problem)
  const error = await RuntimeHost.callJs<RuntimeHost.ErrorRecord | null>(host, "initialize_deferred", [object], object)
  if (error !== null) throw PythonError.fromRecord(error)
  return { object, isSource: info.is_source }
}

/** Runs a cleanup-like host call on `node`'s thread; failures go to the reporter, never to the scope. */
const release = (
  host: PyObject,
  nodeId: string,
  method: string,
  object: PyObject,
  node: PyObject,
  report: Transport.CleanupReporter
) =>
  Effect.promise(async () => {
    const error = await RuntimeHost.callJs<RuntimeHost.ErrorRecord | null>(host, method, [object], node).catch((e: unknown) => e)
    if (error === null) return
    const cause = error instanceof Error ? error : PythonError.fromRecord(error as RuntimeHost.ErrorRecord)
    report(new NodeCleanupError({ nodeId, cause }))
  })

const processError = (nodeId: string, record: RuntimeHost.ErrorRecord, fallbackIndex: number) =>
  new NodeProcessError({ nodeId, itemIndex: record.index ?? fallbackIndex, cause: PythonError.fromRecord(record) })

/**
 * A host call given a fresh `CancelToken`, cancelled if the Effect awaiting it
 * is interrupted; Python then stops the call between items, and the
 * interruption completes once the call has (its late result is dropped), so
 * the node's next call (its cleanup) never overlaps it, even while an async
 * batch is still being awaited on the bridge's event loop.
 */
const cancellable = <A, E>(call: (token: CancelToken) => Promise<A>, onError: (cause: unknown) => E): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const token = new CancelToken()
    const settled = call(token).then(
      (value) => resume(Effect.succeed(value)),
      (cause: unknown) => resume(Effect.fail(onError(cause)))
    )
    return Effect.andThen(Effect.sync(() => token.cancel()), Effect.promise(() => settled))
  })

/**
 * The failure of a batch the bridge could not convert: when an item is cyclic
 * or nested too deep, that item's error with core's `InvalidRuntimeData` (the
 * wording every transport uses); otherwise the batch's first item's.
 */
const batchError = (nodeId: string, items: ReadonlyArray<RuntimeData>, firstIndex: number, cause: unknown) => {
  if (cause instanceof PythonConversionError && cause.reason !== undefined) {
    for (const [offset, item] of items.entries()) {
      const problem = Data.checkShape(item)
      if (problem !== undefined) return new NodeProcessError({ nodeId, itemIndex: firstIndex + offset, cause: problem })
    }
  }
  return new NodeProcessError({ nodeId, itemIndex: firstIndex, cause })
}

const transform = (host: PyObject, nodeId: string, object: PyObject): Transport.TransformStage => ({
  _tag: "Transform",
  nodeIds: [nodeId],
  process: (items, { firstIndex, recordItemTime }) =>
    cancellable(
      (token) =>
        RuntimeHost.callJs<readonly [ReadonlyArray<RuntimeData>, RuntimeHost.ErrorRecord | null, ReadonlyArray<number>?]>(
          host,
          recordItemTime ? "process_batch_timed_deferred" : "process_batch_deferred",
          [object, items, firstIndex, token],
          object
        ),
      (cause) => batchError(nodeId, items, firstIndex, cause)
    ).pipe(Effect.flatMap(([outputs, error, times]) => {
      if (recordItemTime && times) for (const ms of times) recordItemTime(nodeId, ms)
      return Transport.batchResult(outputs, error === null ? undefined : processError(nodeId, error, firstIndex))
    }))
})

const source = (
  host: PyObject,
  nodeId: string,
  object: PyObject,
  report: Transport.CleanupReporter,
  options: InprocOptions
): Transport.SourceStage => {
  const { maxItems, maxWaitMs } = Transport.sourceChunk(options)
  const cursor = Effect.acquireRelease(
    Effect.tryPromise({
      try: () => host.callMethod("start_source", [object]),
      catch: (cause) => new NodeProcessError({ nodeId, itemIndex: 0, cause })
    }),
    (cursor) => release(host, nodeId, "close_source_deferred", cursor, object, report)
  )
  const pull = (cursor: PyObject) => (produced: number) =>
    cancellable(
      (token) =>
        RuntimeHost.callJs<readonly [ReadonlyArray<RuntimeData>, boolean, RuntimeHost.ErrorRecord | null]>(
          host,
          "next_chunk_deferred",
          [cursor, maxItems, maxWaitMs / 1000, token],
          object
        ),
      (cause) => new NodeProcessError({ nodeId, itemIndex: produced, cause })
    ).pipe(Effect.map(([items, done, error]): Transport.SourcePage => ({
      items,
      done,
      error: error === null ? undefined : processError(nodeId, error, produced)
    })))
  return {
    _tag: "Source",
    nodeIds: [nodeId],
    items: Stream.unwrap(Effect.map(cursor, (c) => Transport.pagedSource(pull(c))))
  }
}

const loadNode = (
  host: PyObject,
  node: Pipeline.PipelineNode,
  report: Transport.CleanupReporter,
  options: InprocOptions
): Effect.Effect<Transport.Stage, NodeInitializeError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => open(host, node), catch: (cause) => new NodeInitializeError({ nodeId: node.id, cause }) }),
    ({ object }) => release(host, node.id, "cleanup_deferred", object, object, report)
  ).pipe(Effect.map(({ isSource, object }) =>
    isSource ? source(host, node.id, object, report, options) : transform(host, node.id, object)
  ))

/**
 * Starts (or joins) the embedded interpreter and returns the transport. Fails
 * with `TransportUnavailable` when Python cannot start or `remotemedia` cannot
 * be imported.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: InprocOptions = {}): Effect.Effect<Transport.Transport["Service"], TransportUnavailable> =>
  Effect.gen(function*() {
    const decoded = yield* Schema.decodeUnknownEffect(OptionsSchema)(options).pipe(
      Effect.mapError((e) => unavailable(`invalid options: ${e.message}`))
    )
    const python: Python = yield* Effect.try({
      try: () =>
        start({ venv: decoded.venv, python: decoded.python, paths: decoded.paths, threads: decoded.threads }),
      catch: (e) => unavailable(`the embedded Python interpreter cannot start: ${message(e)}`)
    })
    const host = yield* Effect.tryPromise({
      try: () => RuntimeHost.runtimeHost(python),
      catch: (e) =>
        unavailable(`Python cannot import remotemedia.runtime_host (is the remotemedia package installed in the venv?): ${message(e)}`)
    })
    return {
      name: "inproc",
      load: (nodes, report) => Effect.forEach(nodes, (node) => loadNode(host, node, report, decoded))
    }
  })

/**
 * The transport as a layer providing core's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: InprocOptions = {}): Layer.Layer<Transport.Transport, TransportUnavailable> =>
  Layer.effect(Transport.Transport, make(options))

/**
 * The transport as a layer, its options read from `Config`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (config: Config.Wrap<InprocOptions>): Layer.Layer<Transport.Transport, TransportUnavailable> =>
  Layer.effect(
    Transport.Transport,
    Config.unwrap(config).pipe(
      Effect.mapError((e) => unavailable(`invalid configuration: ${e.message}`)),
      Effect.flatMap(make)
    )
  )

/**
 * Promise form of {@link make}: starts the interpreter and resolves to the
 * transport service (provide it as `Transport` to run pipelines on it).
 *
 * @category constructors
 * @since 0.1.0
 */
export const create = (options: InprocOptions = {}): Promise<Transport.Transport["Service"]> =>
  Effect.runPromise(make(options))
