/**
 * WorkerTransport: core's `Transport` over `python -m remotemedia.worker`
 * subprocesses, as {@link IpcTransport} documents it — shared by every
 * transport that runs Python nodes in such workers (`ipc`; `iceoryx`,
 * which adds a shared-memory payload channel per worker through
 * {@link Extension}; `ray`, whose worker, started with extra arguments, is
 * a Ray driver). Options, loading, cleanup and the pool live here once.
 *
 * @since 0.1.0
 */
import {
  NodeCleanupError,
  NodeInitializeError,
  NodeRef,
  type Pipeline,
  PythonEnvironment,
  Transport,
  TransportUnavailable
} from "@remotemedia/core"
import { type Context, Effect, Logger, Option, Schema, Scope } from "effect"
import type { IpcOptions } from "../IpcTransport.js"
import * as LiveInstance from "./LiveInstance.js"
import { type LoadedNode, type LoadRequest, Session } from "./Session.js"
import { stagesOf } from "./Stages.js"
import { WorkerPool } from "./WorkerPool.js"
import type { PayloadLink } from "./WorkerProcess.js"

/**
 * What a transport adds to the worker model.
 *
 * @category models
 * @since 0.1.0
 */
export interface Extension {
  /** Checked once when the transport is made: why it cannot run with this interpreter, if it cannot. */
  readonly prepare?: ((interpreter: string) => string | undefined) | undefined
  /** Opens the payload channel of each worker started (it throws when it cannot). */
  readonly payloads?: (() => PayloadLink) | undefined
  /** Extra arguments of the worker command, after the `--import` / `--allow-module` ones. */
  readonly workerArgs?: ReadonlyArray<string> | undefined
  /** The worker start time limit when the `startTimeoutMs` option is unset (ipc: 30 000 ms). */
  readonly defaultStartTimeoutMs?: number | undefined
}

const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
const OptionsSchema = Schema.Struct({
  python: Schema.optional(Schema.String),
  venv: Schema.optional(Schema.String),
  isolation: Schema.optional(Schema.Literals(["fused", "process-per-node"])),
  imports: Schema.optional(Schema.Array(Schema.String)),
  allowedModules: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(Schema.Record(Schema.String, Schema.String)),
  cwd: Schema.optional(Schema.String),
  itemTimeoutMs: Schema.optional(Positive),
  restart: Schema.optional(Schema.Struct({ maxRestarts: Schema.Int.check(Schema.isGreaterThan(-1)) })),
  returnState: Schema.optional(Schema.Boolean),
  startTimeoutMs: Schema.optional(Positive),
  shutdownTimeoutMs: Schema.optional(Positive),
  cleanupTimeoutMs: Schema.optional(Positive),
  stderrTailLines: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  stderrLogLevel: Schema.optional(Schema.Literals(["Debug", "Info", "Warn", "Error"])),
  maxFrameBytes: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(0xffffffff))),
  sourceChunkSize: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  sourceMaxWaitMs: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(-1))),
  workerCommand: Schema.optional(Schema.Array(Schema.String)),
  pool: Schema.optional(Schema.Struct({
    size: Schema.Int.check(Schema.isGreaterThan(0)),
    maxWaitMs: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(-1), Schema.isLessThanOrEqualTo(2_147_483_647)))
  }))
})

interface Settings extends IpcOptions {
  /** Opens a worker's payload channel, if the transport has one. */
  readonly payloads: (() => PayloadLink) | undefined
  /** Extra worker arguments of the transport (its {@link Extension}). */
  readonly extraWorkerArgs: ReadonlyArray<string>
  /** The start time limit when the `startTimeoutMs` option is unset. */
  readonly defaultStartTimeoutMs: number
  /** The interpreter workers run, as core's `PythonEnvironment` found it. */
  readonly interpreter: string
  /** Where sessions get workers (size 0 without the `pool` option: a fresh worker per run). */
  readonly workers: WorkerPool
}

const unavailable = (transport: string, detail: string) => new TransportUnavailable({ transport, packageName: "", detail })

// ---------------------------------------------------------------------------
// LOADING
// ---------------------------------------------------------------------------

interface Shipment {
  readonly request: LoadRequest
  readonly live: NodeRef.PythonInstance | undefined
}

/** The load request of each node, made in the parent before any worker starts. */
const ship = (node: Pipeline.PipelineNode, slot: number): Effect.Effect<Shipment, NodeInitializeError> => {
  const ref = node.ref
  if (NodeRef.isManifestNode(ref)) {
    return Effect.succeed({
      request: { op: "load_manifest", slot, node_id: node.id, node_type: ref.nodeType, params: ref.params },
      live: undefined
    })
  }
  if (NodeRef.isSerializedInstance(ref)) {
    return Effect.succeed({
      request: { op: "load_instance", slot, node_id: node.id, class_name: ref.className, data: ref.bytes },
      live: undefined
    })
  }
  if (NodeRef.isPythonInstance(ref)) {
    return Effect.tryPromise({
      try: () => LiveInstance.ship(ref),
      catch: (cause) => new NodeInitializeError({ nodeId: node.id, cause })
    }).pipe(Effect.map((data) => ({
      request: { op: "load_instance", slot, node_id: node.id, class_name: ref.className, data },
      live: ref
    })))
  }
  return Effect.fail(new NodeInitializeError({ nodeId: node.id, cause: new TypeError("not a Python node") }))
}

const levels = { DEBUG: "Debug", INFO: "Info", WARNING: "Warn", ERROR: "Error", CRITICAL: "Fatal" } as const

const stderrLogger = (context: Context.Context<never>, settings: IpcOptions, nodeIds: ReadonlyArray<string>) => {
  const run = Effect.runSyncWith(context)
  return (line: string, pid: number) => {
    // `LEVEL name: message` (the worker's own format), or Ray's `<date> <time>,<ms>\tLEVEL file:line -- message`.
    const prefix = /^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\s+)?(DEBUG|INFO|WARNING|ERROR|CRITICAL) /.exec(line)?.[1] as
      | keyof typeof levels
      | undefined
    const level = prefix ? levels[prefix] : settings.stderrLogLevel ?? "Info"
    try {
      run(
        Effect.logWithLevel(level)(line).pipe(
          Effect.annotateLogs({ worker: pid, nodes: nodeIds.join("+") }),
          // A worker's lines are the SDK's diagnostics, also from an idle pooled worker between runs: never the
          // caller's stdout.
          Effect.provideService(Logger.LogToStderr, true)
        )
      )
    } catch {
      // logging must never break the channel
    }
  }
}

const loadGroup = (
  group: ReadonlyArray<Shipment>,
  settings: Settings,
  report: Transport.CleanupReporter,
  context: Context.Context<never>
) =>
  Effect.gen(function*() {
    const nodeIds = group.map((s) => s.request.node_id)
    const session = yield* Effect.acquireRelease(
      Session.open({
        python: settings.interpreter,
        command: settings.workerCommand,
        workerArgs: [
          ...(settings.imports ?? []).flatMap((m) => ["--import", m]),
          ...(settings.allowedModules ?? []).flatMap((m) => ["--allow-module", m]),
          ...settings.extraWorkerArgs
        ],
        env: settings.env,
        cwd: settings.cwd,
        nodeIds,
        stderrTailLines: settings.stderrTailLines ?? 50,
        startTimeoutMs: settings.startTimeoutMs ?? settings.defaultStartTimeoutMs,
        maxFrameBytes: settings.maxFrameBytes,
        payloads: settings.payloads,
        onStderrLine: stderrLogger(context, settings, nodeIds)
      }, {
        pool: settings.workers,
        restart: settings.restart,
        onWorker: (w, reused) =>
          settings.onWorker?.({ pid: w.pid, nodeIds, python: w.hello?.python ?? "", protocol: w.hello?.protocol ?? 0, reused })
      }).pipe(Effect.mapError((cause) => new NodeInitializeError({ nodeId: nodeIds[0]!, cause }))),
      (s) => s.close()
    )
    const loaded: Array<LoadedNode> = []
    for (const shipment of group) {
      loaded.push(
        yield* Effect.acquireRelease(
          session.load(shipment.request).pipe(
            Effect.mapError((cause) => new NodeInitializeError({ nodeId: shipment.request.node_id, cause }))
          ),
          (node) => cleanup(session, node, shipment.live, settings, report)
        )
      )
    }
    return stagesOf(session, loaded, settings)
  })

const cleanup = (
  session: Session,
  node: LoadedNode,
  live: NodeRef.PythonInstance | undefined,
  settings: Settings,
  report: Transport.CleanupReporter
) =>
  session.cleanup(node, settings.returnState === true, settings.cleanupTimeoutMs ?? 30_000).pipe(
    Effect.flatMap((state) =>
      state === undefined ? Effect.void : Effect.tryPromise({
        try: async () => {
          const className = node.request.op === "load_instance" ? node.request.class_name : node.request.node_type
          settings.onState?.(node.nodeId, NodeRef.serializedInstance({ bytes: state, name: node.nodeId, className, id: node.nodeId }))
          if (live !== undefined) await LiveInstance.adoptState(live, state)
        },
        catch: (cause) => cause
      })
    ),
    Effect.catch((cause) => Effect.sync(() => report(new NodeCleanupError({ nodeId: node.nodeId, cause }))))
  )

// ---------------------------------------------------------------------------
// CONSTRUCTORS
// ---------------------------------------------------------------------------

/**
 * Makes a worker transport named `name`. Fails with `TransportUnavailable`
 * when the options are invalid, the interpreter does not exist or the
 * extension cannot run. With `pool`, the pool is shut down when the `Scope`
 * in context (if any) closes. `packageDir`: a folder of the calling package,
 * from which the SDK's own `python/.venv` is looked for last.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeWorkerTransport = (
  name: string,
  options: IpcOptions,
  packageDir: string,
  extension: Extension = {}
): Effect.Effect<Transport.Transport["Service"], TransportUnavailable> =>
  Effect.gen(function*() {
    yield* Schema.decodeUnknownEffect(OptionsSchema)(options).pipe(
      Effect.mapError((e) => unavailable(name, `invalid options: ${e.message}`))
    )
    const found = PythonEnvironment.find({ python: options.python, venv: options.venv }, { packageDir })
    if (found._tag === "NotFound") return yield* Effect.fail(unavailable(name, found.reason))
    const problem = extension.prepare?.(found.python)
    if (problem !== undefined) return yield* Effect.fail(unavailable(name, problem))
    const context = yield* Effect.context<never>()
    const workers = new WorkerPool(
      options.pool?.size ?? 0,
      options.pool?.maxWaitMs ?? 1_000,
      options.shutdownTimeoutMs ?? 5_000,
      stderrLogger(context, options, ["(idle)"])
    )
    const scope = yield* Effect.serviceOption(Scope.Scope)
    if (Option.isSome(scope)) yield* Scope.addFinalizer(scope.value, workers.close())
    const settings: Settings = {
      ...options,
      interpreter: found.python,
      workers,
      payloads: extension.payloads,
      extraWorkerArgs: extension.workerArgs ?? [],
      defaultStartTimeoutMs: extension.defaultStartTimeoutMs ?? 30_000
    }
    return Transport.Transport.of({
      name,
      load: (nodes, report) =>
        Effect.gen(function*() {
          const context = yield* Effect.context<never>()
          // Everything is pickled here first: an unpicklable instance fails before any process starts.
          const shipments = yield* Effect.forEach(nodes, ship)
          const groups = settings.isolation === "process-per-node" ? shipments.map((s) => [s]) : [shipments]
          const stages: Array<Transport.Stage> = []
          for (const group of groups) stages.push(...(yield* loadGroup(group, settings, report, context)))
          return stages
        })
    })
  })
