/**
 * IpcTransport: core's `Transport` over `python -m remotemedia.worker`
 * subprocesses. Consecutive Python nodes of a pipeline run fused in one
 * worker (items go from node to node inside it, no round trip through
 * TypeScript); `isolation: "process-per-node"` gives each its own process.
 *
 * Nodes reach a worker as manifest entries (built there by the registry),
 * serialized instances (shipped as they are) or live Python objects (pickled
 * here, in the parent, after their `cleanup()`: an unpicklable one fails
 * before any process starts). The worker initializes each node once, runs
 * the batches, and cleans each up once when the run's scope closes.
 *
 * Where the state lives: after a run, the worker's copy of an instance holds
 * what processing did to it and goes away with the worker; the caller's
 * object is the one cleaned up before shipping. `returnState: true` ships the
 * worker's copy back after its cleanup and gives its state to the caller's
 * object (and to `onState`).
 *
 * With `pool`, workers are kept warm and reused across runs (see
 * {@link PoolOptions} for the rules); without it every run starts its own.
 *
 * @since 0.1.0
 */
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { type NodeRef, Transport, TransportUnavailable } from "@remotemedia/core"
import { Config, Effect, Layer } from "effect"
import { makeWorkerTransport } from "./internal/WorkerTransport.js"

/**
 * Options of the IPC transport. All but the callbacks may come from the
 * `transportOptions` of `remotemedia.config.json`.
 *
 * @category models
 * @since 0.1.0
 */
export interface IpcOptions {
  /**
   * The Python interpreter workers run. Without it or `venv`, core's
   * `PythonEnvironment` precedence applies (env `REMOTEMEDIA_PYTHON`,
   * `REMOTEMEDIA_VENV`, `VIRTUAL_ENV`, the nearest `python/.venv`, else
   * `python3` from `PATH`).
   */
  readonly python?: string | undefined
  /** A virtual environment holding `remotemedia`, whose interpreter workers run. */
  readonly venv?: string | undefined
  /** `fused` (default): consecutive Python nodes share one worker. `process-per-node`: one worker each. */
  readonly isolation?: "fused" | "process-per-node" | undefined
  /** Modules each worker imports at start (e.g. to register node types). */
  readonly imports?: ReadonlyArray<string> | undefined
  /** Modules whose classes manifests may name by qualified path. */
  readonly allowedModules?: ReadonlyArray<string> | undefined
  /** Extra environment variables for workers. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Working directory of workers (default: this process's). */
  readonly cwd?: string | undefined
  /** Longest time one item may spend in one node; the worker is stopped when it is exceeded. */
  readonly itemTimeoutMs?: number | undefined
  /** After a crash, start a new worker, re-ship its nodes and resend the batch, up to `maxRestarts` times. */
  readonly restart?: { readonly maxRestarts: number } | undefined
  /** Ship each instance's state back after its cleanup and give it to the caller's live object. */
  readonly returnState?: boolean | undefined
  /** Receives the worker copy's final state (pickled, after cleanup) when `returnState` is on. */
  readonly onState?: ((nodeId: string, state: NodeRef.SerializedInstance) => void) | undefined
  /** Called with each worker once it said hello (pid, versions); for monitoring and tests. */
  readonly onWorker?: ((info: WorkerInfo) => void) | undefined
  /** How long a worker may take to start (ms). Default 30 000. */
  readonly startTimeoutMs?: number | undefined
  /** How long one node's cleanup may take before its worker is killed (ms). Default 30 000. */
  readonly cleanupTimeoutMs?: number | undefined
  /** How long a worker may take to shut down before it is killed (ms). Default 5 000. */
  readonly shutdownTimeoutMs?: number | undefined
  /** Lines of a worker's stderr kept for crash reports. Default 50. */
  readonly stderrTailLines?: number | undefined
  /** Log level of worker stderr lines that carry none (print output). Default `Info`. */
  readonly stderrLogLevel?: "Debug" | "Info" | "Warn" | "Error" | undefined
  /**
   * The largest frame (one message) accepted or sent on a worker channel, in
   * bytes, both ways. A reply announcing more is a `ProtocolError` (the worker
   * is stopped, nothing of that size is allocated); a request that would be
   * larger fails its batch. Default 1 GiB; at most 2^32 - 1.
   */
  readonly maxFrameBytes?: number | undefined
  /** Most items a source hands over per request. Default 64. */
  readonly sourceChunkSize?: number | undefined
  /** A source request returns early once this many ms passed and it has items. Default 5. */
  readonly sourceMaxWaitMs?: number | undefined
  /** Advanced: the worker command after the interpreter (default `-m remotemedia.worker`). */
  readonly workerCommand?: ReadonlyArray<string> | undefined
  /** Keep workers warm and reuse them across runs (off by default: every run starts its own). */
  readonly pool?: PoolOptions | undefined
}

/**
 * A warm worker pool: up to `size` pooled workers exist at a time, shared by
 * every run of the transport (and by the groups of one run).
 *
 * - A run (a group of fused nodes) takes an idle pooled worker; if none is
 *   idle and fewer than `size` exist, it starts one for the pool; otherwise it
 *   waits up to `maxWaitMs` for one to come back, then starts an extra worker
 *   that is shut down after its run. So a server gets at most `size` warm
 *   workers and never stalls longer than `maxWaitMs` behind long runs.
 * - A worker goes back to the pool only after every node it held was cleaned
 *   up (the worker forgets a node's slot at its cleanup, so a later run
 *   cannot reach it or its state). A worker that failed — crashed, broke the
 *   protocol, overran `itemTimeoutMs`, was killed, a cleanup that failed or
 *   timed out — is shut down, never reused. A Python exception in `process`
 *   is not a failure of the worker.
 * - The interpreter is not restarted between runs: modules it imported (and
 *   module-level state, caches, globals, threads they started) persist from
 *   one run to the next in a pooled worker.
 * - Idle workers do not keep the process alive (a plain `node script.mjs`
 *   exits once no run is pending; the workers then exit on EOF). The pool is
 *   shut down when the scope that made the transport closes (`layer`'s
 *   release, or a `Scope` around `make`); `create` has no scope, so its pool
 *   lives until the process exits.
 *
 * @category models
 * @since 0.1.0
 */
export interface PoolOptions {
  /** Most pooled workers at a time (idle ones kept warm up to this number). */
  readonly size: number
  /** How long a run waits for a pooled worker when all `size` are busy, before starting an extra one (ms, at most 2^31 - 1). Default 1 000. */
  readonly maxWaitMs?: number | undefined
}

/**
 * A started worker, as `onWorker` sees it.
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkerInfo {
  readonly pid: number
  readonly nodeIds: ReadonlyArray<string>
  readonly python: string
  readonly protocol: number
  /** Whether a pooled worker that ran earlier nodes is handed these (reported once per run then). */
  readonly reused: boolean
}

/** A folder of this package, from which the SDK's own `python/.venv` is looked for last. */
const packageDir = dirname(fileURLToPath(import.meta.url))

const unavailable = (detail: string) => new TransportUnavailable({ transport: "ipc", packageName: "", detail })

/**
 * Makes the transport service. Fails with `TransportUnavailable` when the
 * options are invalid or the interpreter does not exist. With `pool`, the
 * pool is shut down when the `Scope` in context (if any) closes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: IpcOptions = {}): Effect.Effect<Transport.Transport["Service"], TransportUnavailable> =>
  makeWorkerTransport("ipc", options, packageDir)

/**
 * The transport as a layer providing core's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: IpcOptions = {}): Layer.Layer<Transport.Transport, TransportUnavailable> =>
  Layer.effect(Transport.Transport, make(options))

/**
 * The transport as a layer, its options read from `Config`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (config: Config.Wrap<IpcOptions>): Layer.Layer<Transport.Transport, TransportUnavailable> =>
  Layer.effect(
    Transport.Transport,
    Config.unwrap(config).pipe(
      Effect.mapError((e) => unavailable(`invalid configuration: ${e.message}`)),
      Effect.flatMap(make)
    )
  )

/**
 * Promise form of {@link make}: resolves to the transport service (provide
 * it as core's `Transport` to run pipelines on it).
 *
 * @category constructors
 * @since 0.1.0
 */
export const create = (options: IpcOptions = {}): Promise<Transport.Transport["Service"]> => Effect.runPromise(make(options))
