/**
 * Attached: a standalone caller's own worker (PROTOCOL.md, "Standalone
 * callers"). The Python process that started this runtime serves worker
 * protocol v1 itself, on two streams it handed over, and runs its own `Node`
 * objects there — the exact objects, named by the refs it registered for a
 * run (`load_live`). Requests and replies are those of a spawned worker, but
 * there is no process here to start, restart or kill: the channel's end is
 * the caller's.
 *
 * @since 0.1.0
 */
import type { Readable, Writable } from "node:stream"
import { NodeCleanupError, NodeInitializeError, NodeRef, type Pipeline, PythonError, type Transport } from "@remotemedia/core"
import { Effect, type Scope } from "effect"
import { ProtocolError, WorkerStartError } from "../IpcError.js"
import { Channel } from "./Channel.js"
import { CodecError } from "./Codec.js"
import { type Hello, invalidReason, PROTOCOL_VERSION, type Reply, type Request } from "./Protocol.js"
import { Requests } from "./Requests.js"
import { type StageNode, type StageSession, stagesOf } from "./Stages.js"

/** Where a live reference keeps the caller's ref. */
const refKey = Symbol.for("@remotemedia/transport-ipc/AttachedRef")

/**
 * A node a standalone caller runs itself: a `PythonInstance` reference
 * carrying the caller's ref.
 *
 * @category models
 * @since 0.1.0
 */
export interface LiveRef extends NodeRef.PythonInstance {
  readonly [refKey]: number
}

/**
 * Makes the reference of a caller-owned node.
 *
 * @category constructors
 * @since 0.1.0
 */
export const liveRef = (ref: number, name: string, className: string): LiveRef => ({
  [NodeRef.PythonInstanceTypeId]: NodeRef.PythonInstanceTypeId,
  [refKey]: ref,
  name,
  className
})

/**
 * @category guards
 * @since 0.1.0
 */
export const isLiveRef = (u: unknown): u is LiveRef => NodeRef.isPythonInstance(u) && typeof (u as Partial<LiveRef>)[refKey] === "number"

/**
 * The caller's worker, over its channel.
 *
 * @category models
 * @since 0.1.0
 */
export class AttachedWorker implements StageSession {
  private slots = 0
  private readonly inFlight: Requests<ProtocolError>
  private failure: ProtocolError | undefined
  private onHello: ((hello: Hello | string) => void) | undefined
  private readonly channel: Channel
  /** The caller's `hello`, once received. */
  hello: Hello | undefined

  private constructor(requests: Writable, replies: Readable) {
    this.channel = new Channel(replies, requests, {
      message: (m) => this.receive(m),
      end: (problem) => this.ended(problem)
    })
    this.inFlight = new Requests((message) => this.channel.send(message))
  }

  /**
   * Attaches to the caller's worker on `requests` (written here) and
   * `replies` (read here), and waits up to `timeoutMs` for its `hello`.
   */
  static attach(requests: Writable, replies: Readable, timeoutMs: number): Effect.Effect<AttachedWorker, WorkerStartError> {
    return Effect.callback<AttachedWorker, WorkerStartError>((resume) => {
      const worker = new AttachedWorker(requests, replies)
      const fail = (detail: string) =>
        new WorkerStartError({ command: ["(the standalone caller's worker)"], detail, stderrTail: [] })
      const timer = setTimeout(() => settle(`no hello within ${timeoutMs} ms`), timeoutMs)
      const settle = (outcome: Hello | string) => {
        clearTimeout(timer)
        worker.onHello = undefined
        if (typeof outcome === "string") {
          worker.kill()
          resume(Effect.fail(fail(outcome)))
        } else resume(Effect.succeed(worker))
      }
      worker.onHello = settle
      return Effect.sync(() => {
        clearTimeout(timer)
        worker.kill()
      })
    })
  }

  /** The caller's process id (from its hello). */
  get pid(): number {
    return this.hello?.pid ?? -1
  }

  /** Whether the channel still carries requests. */
  get alive(): boolean {
    return this.failure === undefined && this.channel.open
  }

  /** The stage session: this worker is always the current one. */
  get current(): AttachedWorker {
    return this
  }

  /** A fresh slot number (slots are shared by every run on the channel). */
  slot(): number {
    return this.slots++
  }

  private receive(message: unknown): void {
    const invalid = invalidReason(message)
    if (invalid !== undefined) return this.violation(invalid)
    const m = message as Hello | Reply
    if (m.op === "hello") {
      if (this.hello !== undefined) return this.violation("a second hello")
      if (m.protocol !== PROTOCOL_VERSION) return this.onHello?.(`the caller speaks protocol ${m.protocol}, this runtime ${PROTOCOL_VERSION}`)
      this.hello = m
      return this.onHello?.(m)
    }
    if (this.hello === undefined) return this.violation(`'${m.op}' before hello`)
    if (m.op === "error" && m.phase === "protocol") return this.fail(`the caller's worker rejected a frame: ${m.message}`, "worker")
    if (this.inFlight.settle(m) === "unknown") this.violation(`reply '${m.op}' for unknown request ${m.seq}`)
  }

  private violation(detail: string): void {
    if (this.hello === undefined && this.onHello !== undefined) return this.onHello(`protocol error before hello: ${detail}`)
    this.fail(detail, "parent")
  }

  private ended(problem: string | undefined): void {
    if (this.hello === undefined) this.onHello?.(problem ?? "the caller closed its worker channel before saying hello")
    const during = this.inFlight.during
    this.fail(`the caller's worker channel ${problem === undefined ? "ended" : `broke (${problem})`} during ${during}`, "parent")
  }

  private fail(detail: string, detectedBy: "worker" | "parent"): void {
    if (this.failure !== undefined) return
    this.failure = new ProtocolError({ pid: this.pid, detectedBy, detail })
    this.inFlight.failAll(this.failure)
    this.channel.close()
  }

  /**
   * Sends one request and waits for its reply (an `error` reply is a value
   * here). Interrupted, it stops waiting and asks the caller to stop a
   * running `process` or `pull` (`cancel`).
   */
  run(request: Request, during: string): Effect.Effect<Reply, ProtocolError | CodecError> {
    return this.inFlight.run(request, during, () => (this.failure ? Effect.fail(this.failure) : undefined), () => this.alive)
  }

  /**
   * Detaches from the caller (only for an item that overran a time limit, or
   * at the end): what is in flight fails, the channel is closed, and the
   * caller's worker thread sees the end of its requests and stops.
   */
  kill(): void {
    this.fail("detached from the caller's worker", "parent")
  }

  /** Asks the caller's worker to end (its thread stops; the caller lives on), then closes the channel. */
  shutdown(): Effect.Effect<void> {
    return Effect.suspend(() => (this.alive ? Effect.ignore(this.run({ op: "shutdown" }, "shutdown")) : Effect.void)).pipe(
      Effect.ensuring(Effect.sync(() => this.channel.close()))
    )
  }
}

/**
 * Loads consecutive caller-owned nodes in the caller's worker (`load_live`,
 * its `initialize()` runs there) and returns their stages, fused into one
 * chain per run of nodes (sources start a new one). Each node's `cleanup()`
 * is attached to the Scope.
 *
 * @category loading
 * @since 0.1.0
 */
export const load = (
  worker: AttachedWorker,
  nodes: ReadonlyArray<Pipeline.PipelineNode>,
  report: Transport.CleanupReporter
): Effect.Effect<Array<Transport.Stage>, NodeInitializeError, Scope.Scope> =>
  Effect.gen(function*() {
    const loaded: Array<StageNode> = []
    for (const node of nodes) {
      const ref = node.ref
      if (!isLiveRef(ref)) return yield* new NodeInitializeError({ nodeId: node.id, cause: new TypeError("not a caller-owned node") })
      const slot = worker.slot()
      const request = { op: "load_live", slot, node_id: node.id, ref: ref[refKey] } as const
      loaded.push(
        yield* Effect.acquireRelease(
          worker.run(request, `loading node '${node.id}'`).pipe(
            Effect.flatMap((reply) =>
              reply.op === "loaded"
                ? Effect.succeed<StageNode>({ slot, nodeId: node.id, isSource: reply.is_source })
                : Effect.fail(reply.op === "error" ? PythonError.fromRecord(reply) : new Error(`expected 'loaded', got '${reply.op}'`))
            ),
            Effect.mapError((cause) => new NodeInitializeError({ nodeId: node.id, cause }))
          ),
          (loadedNode) => cleanup(worker, loadedNode, report)
        )
      )
    }
    return stagesOf(worker, loaded, {})
  })

const cleanup = (worker: AttachedWorker, node: StageNode, report: Transport.CleanupReporter) =>
  worker.run({ op: "cleanup", slot: node.slot }, `cleanup of '${node.nodeId}'`).pipe(
    Effect.flatMap((reply) =>
      reply.op === "ok" ? Effect.void : Effect.fail(reply.op === "error" ? PythonError.fromRecord(reply) : new Error(`expected 'ok', got '${reply.op}'`))
    ),
    Effect.catch((cause) => Effect.sync(() => report(new NodeCleanupError({ nodeId: node.nodeId, cause }))))
  )
