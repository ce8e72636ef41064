/**
 * RayTransport: core's `Transport` over a Ray cluster — transport-ipc's
 * worker model reused (`@remotemedia/transport-ipc/shared`): the worker, a
 * `python -m remotemedia.worker --ray` subprocess speaking the unchanged
 * worker protocol, is a Ray driver that runs each node as a Ray actor (one
 * process per node, on whichever cluster node Ray places it), shipped as
 * cleanup() → cloudpickle → initialize() like on ipc, with the same options,
 * errors, `returnState` and warm pool. The cluster is the one at the
 * `address` option, else at env `RAY_ADDRESS`, else a local one the driver
 * starts for itself (sized by `local`) and stops when it exits. An actor that
 * dies fails its batch with a `WorkerCrashed` naming the actor, its host and
 * pid — unless `actorRestarts` allows recreating it from its pickled instance,
 * re-initializing it and retrying the batch. The interpreter needs Ray
 * (`pip install 'remotemedia[ray]'`); without it, making the transport fails
 * with `TransportUnavailable` saying what to install.
 *
 * @since 0.1.0
 */
import { execFileSync } from "node:child_process"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { type Transport, Transport as TransportService, TransportUnavailable } from "@remotemedia/core"
import type { IpcOptions } from "@remotemedia/transport-ipc"
import { makeWorkerTransport } from "@remotemedia/transport-ipc/shared"
import { Config, Effect, Layer, Schema } from "effect"

/**
 * Options of the ray transport: those of transport-ipc (see its
 * `IpcOptions`), which cluster to use and how actors are restarted.
 *
 * @category models
 * @since 0.1.0
 */
export interface RayOptions extends IpcOptions {
  /**
   * The Ray cluster to connect to: its head's GCS address, `host:6379` as `ray start --head` prints it (or `auto`).
   * Default: env `RAY_ADDRESS`; without it, the driver starts a local cluster of its own and stops it at exit.
   */
  readonly address?: string | undefined
  /** The Ray namespace of the driver and its actors. Default: an anonymous one of Ray's. */
  readonly namespace?: string | undefined
  /**
   * How many times an actor that dies is recreated from its pickled instance, re-initialized, and its
   * batch retried (an integer >= 0). Default 0: the batch fails with a `WorkerCrashed`.
   */
  readonly actorRestarts?: number | undefined
  /**
   * How long the driver waits for a node's actors to be placed and started (e.g. for the resources its
   * `ray` options ask for) before failing its load, in milliseconds. Default: the driver's (120 000).
   */
  readonly placementTimeoutMs?: number | undefined
  /**
   * The local cluster the driver starts when there is no address (ignored otherwise). It lives as long as its
   * driver: by default (`pool: { size: 1 }`, unlike ipc) one driver is kept warm between runs, so a process's
   * runs share one connection, and one local cluster.
   */
  readonly local?: LocalClusterOptions | undefined
}

/**
 * How the local cluster a driver starts for itself is sized.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalClusterOptions {
  /** CPUs the cluster offers to actors. Default: Ray's (the machine's count). */
  readonly numCpus?: number | undefined
  /** Size of its object store in bytes. Default: Ray's. */
  readonly objectStoreBytes?: number | undefined
  /** Custom resources it offers, by name (e.g. `{ "gpu_slot": 1 }`). */
  readonly resources?: Readonly<Record<string, number>> | undefined
}

const LocalSchema = Schema.Struct({
  numCpus: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  objectStoreBytes: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  resources: Schema.optional(Schema.Record(Schema.String, Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))))
})
const RaySchema = Schema.Struct({
  address: Schema.optional(Schema.String.check(Schema.isNonEmpty())),
  namespace: Schema.optional(Schema.String.check(Schema.isNonEmpty())),
  actorRestarts: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  placementTimeoutMs: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(0))),
  local: Schema.optional(LocalSchema)
})

/** A folder of this package, from which the SDK's own `python/.venv` is looked for last. */
const packageDir = dirname(fileURLToPath(import.meta.url))

const unavailable = (detail: string) => new TransportUnavailable({ transport: "ray", packageName: "", detail })

/** Why the interpreter cannot drive Ray, if it cannot: it has no `ray` package. */
const rayProblem = (python: string): string | undefined => {
  try {
    execFileSync(python, ["-c", "import importlib.metadata as m; print(m.version('ray'))"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000
    })
    return undefined
  } catch {
    return `the Python at ${python} has no 'ray' package: pip install 'remotemedia[ray]'`
  }
}

/**
 * Makes the transport service. Fails with `TransportUnavailable` when the
 * options are invalid, the interpreter does not exist or it has no `ray`
 * package. With `pool`, the pool is shut down when the `Scope` in context
 * (if any) closes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: RayOptions = {}): Effect.Effect<Transport.Transport["Service"], TransportUnavailable> =>
  Effect.gen(function*() {
    const { actorRestarts, address, local, namespace, placementTimeoutMs, ...ipcOptions } = options
    yield* Schema.decodeUnknownEffect(RaySchema)({ actorRestarts, address, local, namespace, placementTimeoutMs }).pipe(
      Effect.mapError((e) => unavailable(`invalid ray options: ${e.message}`))
    )
    const driver = {
      address: address ?? (process.env["RAY_ADDRESS"] || null),
      namespace: namespace ?? null,
      actor_restarts: actorRestarts ?? 0,
      placement_timeout_s: placementTimeoutMs === undefined ? null : placementTimeoutMs / 1000,
      local: {
        num_cpus: local?.numCpus ?? null,
        object_store_bytes: local?.objectStoreBytes ?? null,
        resources: local?.resources ?? null
      }
    }
    // One warm driver by default: a run reuses its cluster connection (and the local cluster it started).
    return yield* makeWorkerTransport("ray", { pool: { size: 1 }, ...ipcOptions }, packageDir, {
      prepare: rayProblem,
      workerArgs: ["--ray", JSON.stringify(driver)],
      defaultStartTimeoutMs: 120_000
    })
  })

/**
 * The transport as a layer providing core's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RayOptions = {}): Layer.Layer<TransportService.Transport, TransportUnavailable> =>
  Layer.effect(TransportService.Transport, make(options))

/**
 * The transport as a layer, its options read from `Config`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  config: Config.Wrap<RayOptions>
): Layer.Layer<TransportService.Transport, TransportUnavailable> =>
  Layer.effect(
    TransportService.Transport,
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
export const create = (options: RayOptions = {}): Promise<Transport.Transport["Service"]> => Effect.runPromise(make(options))
