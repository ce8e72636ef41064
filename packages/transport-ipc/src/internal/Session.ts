/**
 * Session: the nodes of one worker and the worker currently running them.
 * It remembers how each node was loaded (the manifest entry or the pickled
 * bytes), so with a restart policy a crashed worker is replaced, every node
 * re-shipped and re-initialized, and the interrupted request sent again.
 * It takes its worker from the transport's {@link WorkerPool} and gives it
 * back at the end, saying whether it is clean: every node it loaded was
 * cleaned up, and no cleanup failed.
 *
 * @since 0.1.0
 */
import { PythonError } from "@remotemedia/core"
import { Effect } from "effect"
import type { CodecError } from "./Codec.js"
import { CleanupTimeout, ProtocolError, type WorkerCrashed, type WorkerStartError } from "../IpcError.js"
import type { Reply, Request } from "./Protocol.js"
import { causeOf } from "./Stages.js"
import type { Lease, WorkerPool } from "./WorkerPool.js"
import { type SpawnOptions, Worker } from "./WorkerProcess.js"

/**
 * How to load one node in a worker.
 *
 * @category models
 * @since 0.1.0
 */
export type LoadRequest = Extract<Request, { readonly op: "load_manifest" | "load_instance" }>

/**
 * What a loaded node is.
 *
 * @category models
 * @since 0.1.0
 */
export interface LoadedNode {
  readonly slot: number
  readonly nodeId: string
  readonly isSource: boolean
  readonly request: LoadRequest
}

/**
 * Restart policy: after a crash, start a new worker, re-ship every node and
 * send the interrupted batch again, at most `maxRestarts` times per session.
 *
 * @category models
 * @since 0.1.0
 */
export interface RestartPolicy {
  readonly maxRestarts: number
}

/**
 * A worker and its nodes.
 *
 * @category models
 * @since 0.1.0
 */
export class Session {
  private restarts = 0
  private readonly nodes: Array<LoadedNode> = []
  /** Nodes loaded in the current worker and not yet cleaned up. */
  private held = 0
  /** False once a cleanup failed or a restart could not reload the nodes: the worker is not reused. */
  private clean = true

  private constructor(
    private lease: Lease,
    private readonly pool: WorkerPool,
    private readonly spawnOptions: SpawnOptions,
    private readonly restart: RestartPolicy | undefined,
    private readonly onWorker: (worker: Worker, reused: boolean) => void
  ) {}

  /** Takes the session's first worker from the pool (which may start it). */
  static open(
    spawnOptions: SpawnOptions,
    options: {
      readonly pool: WorkerPool
      readonly restart?: RestartPolicy | undefined
      readonly onWorker: (worker: Worker, reused: boolean) => void
    }
  ): Effect.Effect<Session, WorkerStartError> {
    return Effect.map(options.pool.acquire(Worker.start(spawnOptions)), (lease) => {
      if (lease.reused) lease.worker.assign(spawnOptions.nodeIds, spawnOptions.onStderrLine)
      options.onWorker(lease.worker, lease.reused)
      return new Session(lease, options.pool, spawnOptions, options.restart, options.onWorker)
    })
  }

  /** The current worker. */
  get current(): Worker {
    return this.lease.worker
  }

  private get worker(): Worker {
    return this.lease.worker
  }

  /**
   * Loads and initializes a node; a Python failure comes back as the
   * `error` reply's exception, a Ray actor that died (`crashed`) as a
   * `WorkerCrashed`.
   */
  load(request: LoadRequest): Effect.Effect<LoadedNode, PythonError | WorkerCrashed | ProtocolError | CodecError> {
    const during = `loading node '${request.node_id}'`
    return Effect.flatMap(this.worker.request(request, during), (reply): Effect.Effect<LoadedNode, PythonError | WorkerCrashed | ProtocolError> => {
      if (reply.op === "error") return Effect.fail(causeOf(reply, reply.node_id ?? request.node_id, during))
      if (reply.op !== "loaded") return Effect.fail(this.unexpected(reply, "loaded"))
      const node: LoadedNode = { slot: request.slot, nodeId: request.node_id, isSource: reply.is_source, request }
      this.nodes.push(node)
      this.held++
      return Effect.succeed(node)
    })
  }

  /**
   * Sends a request; when the worker crashed and the restart policy allows
   * (`restartable`), replaces the worker and sends it again.
   */
  run(request: Request, during: string, restartable: boolean): Effect.Effect<Reply, WorkerCrashed | ProtocolError | CodecError> {
    return Effect.suspend(() => this.worker.request(request, during)).pipe(
      Effect.catchTag("WorkerCrashed", (crash) =>
        restartable && this.restart !== undefined && this.restarts < this.restart.maxRestarts
          ? Effect.andThen(this.respawn(crash), Effect.suspend(() => this.run(request, during, restartable)))
          : Effect.fail(crash))
    )
  }

  /** Replaces a crashed worker and reloads every node; fails with the crash if that fails. */
  private respawn(crash: WorkerCrashed): Effect.Effect<void, WorkerCrashed> {
    return Effect.gen({ self: this }, function*() {
      this.restarts++
      yield* Effect.logWarning(
        `${crash.message}; restarting it (restart ${this.restarts} of ${this.restart!.maxRestarts}) and re-shipping its nodes`
      )
      this.pool.discard(this.lease)
      this.lease = { ...this.lease, pooled: false }
      const worker = yield* Worker.start(this.spawnOptions)
      this.lease = { worker, pooled: false, reused: false }
      this.held = 0
      this.onWorker(worker, false)
      for (const node of this.nodes) {
        const reply = yield* worker.request(node.request, `reloading node '${node.nodeId}'`)
        if (reply.op !== "loaded") {
          const why = reply.op === "error" ? PythonError.fromRecord(reply).message : `unexpected '${reply.op}'`
          return yield* Effect.fail(new Error(`node '${node.nodeId}' cannot be reloaded: ${why}`))
        }
        this.held++
      }
    }).pipe(
      Effect.catch((e) => {
        this.clean = false
        return Effect.andThen(
          Effect.logError(`restarting the worker failed: ${e instanceof Error ? e.message : String(e)}`),
          Effect.fail(crash)
        )
      })
    )
  }

  /**
   * Cleans up a node in the current worker; the reply's `state` with
   * `returnState`. A worker that does not answer within `timeoutMs` (still
   * busy with an abandoned batch, or stuck) is killed.
   */
  cleanup(
    node: LoadedNode,
    returnState: boolean,
    timeoutMs: number
  ): Effect.Effect<Uint8Array | undefined, PythonError | WorkerCrashed | ProtocolError | CodecError | CleanupTimeout> {
    const worker = this.worker
    const request = worker.request({ op: "cleanup", slot: node.slot, return_state: returnState }, `cleanup of '${node.nodeId}'`).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.suspend(() => {
            worker.kill()
            return Effect.fail(new CleanupTimeout({ nodeId: node.nodeId, timeoutMs }))
          })
      })
    )
    return Effect.flatMap(
      request,
      (reply): Effect.Effect<Uint8Array | undefined, PythonError | ProtocolError> => {
        if (reply.op === "error") return Effect.fail(PythonError.fromRecord(reply))
        if (reply.op !== "ok") return Effect.fail(this.unexpected(reply, "ok"))
        if (worker === this.worker) this.held--
        return Effect.succeed(reply.state)
      }
    ).pipe(Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.sync(() => (this.clean = false)))))
  }

  /**
   * Gives the current worker back to the pool (never fails): reusable when
   * every node it loaded was cleaned up without a failure, else shut down.
   */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => this.pool.release(this.lease, this.clean && this.held === 0))
  }

  private unexpected(reply: Reply, expected: string): ProtocolError {
    this.worker.kill()
    return new ProtocolError({
      pid: this.worker.pid,
      detectedBy: "parent",
      detail: `expected '${expected}', got '${reply.op}'`
    })
  }
}

