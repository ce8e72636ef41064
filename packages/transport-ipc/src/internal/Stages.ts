/**
 * Stages: the `Transform` and `Source` stages core's executor drives, over a
 * {@link Session}'s worker. A stage is a chain of nodes fused in the worker:
 * one request per batch, whose reply carries the chain's outputs, or the
 * failure with the outputs produced before it (core's `batchResult`); a
 * source's pulls are paged by core's `pagedSource`, sized by its
 * `sourceChunk` defaults.
 *
 * @since 0.1.0
 */
import { NodeProcessError, PythonError, RuntimeData as RD, Transport } from "@remotemedia/core"
import { Effect, Stream } from "effect"
import { ItemTimeout, WorkerCrashed } from "../IpcError.js"
import { CodecError } from "./Codec.js"
import type { ProtocolError } from "../IpcError.js"
import type { ErrorReply, Reply, Request } from "./Protocol.js"

type RuntimeData = RD.RuntimeData

/**
 * What stages need of a loaded node.
 *
 * @category models
 * @since 0.1.0
 */
export interface StageNode {
  readonly slot: number
  readonly nodeId: string
  readonly isSource: boolean
}

/**
 * What stages need of the worker running their nodes: a {@link Session}
 * (a spawned worker), or a standalone caller's attached worker.
 *
 * @category models
 * @since 0.1.0
 */
export interface StageSession {
  /** Sends a request and waits for its reply (`restartable`: a crash may be retried on a new worker). */
  run(request: Request, during: string, restartable: boolean): Effect.Effect<Reply, WorkerCrashed | ProtocolError | CodecError>
  /** The worker now: whether it takes requests, and how to stop it when an item overran its time limit. */
  readonly current: { readonly alive: boolean; kill(): void }
}

/**
 * The options stages use.
 *
 * @category models
 * @since 0.1.0
 */
export interface StageSettings {
  readonly itemTimeoutMs?: number | undefined
  readonly sourceChunkSize?: number | undefined
  readonly sourceMaxWaitMs?: number | undefined
}

/**
 * The cause an `error` reply names: a {@link WorkerCrashed} for a `crashed`
 * one (a Ray driver's actor died; `during`: what was asked of it), else the
 * node's Python exception.
 *
 * @category constructors
 * @since 0.1.0
 */
export const causeOf = (reply: ErrorReply, nodeId: string, during: string): WorkerCrashed | PythonError =>
  reply.phase === "crashed"
    ? new WorkerCrashed({
      pid: reply.pid ?? 0,
      nodeIds: [nodeId],
      exitCode: null,
      signal: null,
      stderrTail: reply.message.split("\n"),
      during,
      actor: reply.actor,
      host: reply.host
    })
    : PythonError.fromRecord(reply)

/** A reply's outputs, and the failure that ended the request after them (none for a `result`). */
const outcomeOf = (
  reply: Reply,
  chain: ReadonlyArray<StageNode>,
  firstIndex: number,
  settings: StageSettings,
  during: string
): { readonly outputs: ReadonlyArray<RuntimeData>; readonly error: NodeProcessError | undefined } => {
  if (reply.op === "result") return { outputs: reply.outputs, error: undefined }
  const last = chain[chain.length - 1]!.nodeId
  if (reply.op !== "error") {
    const cause = new Error(`unexpected '${reply.op}' reply`)
    return { outputs: [], error: new NodeProcessError({ nodeId: last, itemIndex: firstIndex, cause }) }
  }
  const nodeId = reply.node_id ?? last
  const cause = reply.phase === "timeout"
    ? new ItemTimeout({ nodeId, itemIndex: reply.index, timeoutMs: settings.itemTimeoutMs ?? 0 })
    : causeOf(reply, nodeId, during)
  return { outputs: reply.outputs ?? [], error: new NodeProcessError({ nodeId, itemIndex: reply.index ?? firstIndex, cause }) }
}

/**
 * A batch whose encoding overflowed the stack (msgpackr throws a `RangeError`)
 * holds a cyclic or over-deep item: the failure of the first such item, its
 * cause core's `InvalidRuntimeData` naming where. Checked only on that
 * failure, never on the way to a successful send.
 */
const unencodable = (
  cause: unknown,
  items: ReadonlyArray<RuntimeData>,
  firstIndex: number,
  nodeId: string
): NodeProcessError | undefined => {
  if (!(cause instanceof CodecError) || !(cause.cause instanceof RangeError)) return undefined
  for (let i = 0; i < items.length; i++) {
    const problem = RD.checkShape(items[i])
    if (problem !== undefined) return new NodeProcessError({ nodeId, itemIndex: firstIndex + i, cause: problem })
  }
  return undefined
}

/** Kills the worker when it outlives the item time limit by far (its own watchdog could not run). */
const backstop = <A, E>(effect: Effect.Effect<A, E>, session: StageSession, nodeId: string, budgetMs: number | undefined) =>
  budgetMs === undefined ? effect : Effect.timeoutOrElse(effect, {
    duration: budgetMs,
    orElse: () =>
      Effect.suspend(() => {
        session.current.kill()
        return Effect.fail(new ItemTimeout({ nodeId, itemIndex: null, timeoutMs: budgetMs }))
      })
  })

/**
 * The stage of a chain of nodes that takes input: one `process` request per batch.
 *
 * @category constructors
 * @since 0.1.0
 */
export const transformStage = (session: StageSession, chain: ReadonlyArray<StageNode>, settings: StageSettings): Transport.TransformStage => {
  const slots = chain.map((n) => n.slot)
  const first = chain[0]!.nodeId
  const limit = settings.itemTimeoutMs
  return {
    _tag: "Transform",
    nodeIds: chain.map((n) => n.nodeId),
    process: (items, ctx) => {
      const record = ctx.recordItemTime
      const request = {
        op: "process",
        slots,
        items,
        first_index: ctx.firstIndex,
        timed: record !== undefined,
        item_timeout_ms: limit
      } as const
      const budget = limit === undefined ? undefined : limit * items.length * chain.length + Math.max(1_000, limit)
      const during = `a batch of ${items.length} item(s)`
      return backstop(session.run(request, during, true), session, first, budget).pipe(
        Effect.mapError((cause) =>
          unencodable(cause, items, ctx.firstIndex, first) ?? new NodeProcessError({ nodeId: first, itemIndex: ctx.firstIndex, cause })
        ),
        Effect.tap((reply) =>
          Effect.sync(() => {
            if (record !== undefined && reply.op === "result" && reply.times) {
              for (const [nodeId, times] of Object.entries(reply.times)) for (const ms of times) record(nodeId, ms)
            }
          })
        ),
        Effect.flatMap((reply) => {
          const { outputs, error } = outcomeOf(reply, chain, ctx.firstIndex, settings, during)
          return Transport.batchResult(outputs, error)
        })
      )
    }
  }
}

/**
 * The stage of a chain that starts with a source: `pull` requests until the source is done.
 *
 * @category constructors
 * @since 0.1.0
 */
export const sourceStage = (session: StageSession, chain: ReadonlyArray<StageNode>, settings: StageSettings): Transport.SourceStage => {
  const slots = chain.map((n) => n.slot)
  const source = chain[0]!.nodeId
  const { maxItems, maxWaitMs } = Transport.sourceChunk(settings)
  let finished = false
  const pull = (produced: number): Effect.Effect<Transport.SourcePage, NodeProcessError> =>
    session.run({
      op: "pull",
      slots,
      max_items: maxItems,
      max_wait_ms: maxWaitMs,
      item_timeout_ms: settings.itemTimeoutMs
    }, "pulling from a source", false).pipe(
      Effect.mapError((cause) => new NodeProcessError({ nodeId: source, itemIndex: produced, cause })),
      Effect.map((reply) => {
        const { outputs, error } = outcomeOf(reply, chain, produced, settings, "pulling from a source")
        const done = reply.op === "result" && reply.done === true
        if (done) finished = true // else the source is closed with `end` when the stream stops
        return { items: outputs, done, error }
      })
    )
  return {
    _tag: "Source",
    nodeIds: chain.map((n) => n.nodeId),
    items: Transport.pagedSource(pull).pipe(
      Stream.ensuring(
        Effect.suspend(() => finished || !session.current.alive ? Effect.void : Effect.ignore(session.run({ op: "end", slots }, "ending a source", false)))
      )
    )
  }
}

/**
 * The stages of nodes loaded in one worker, in order: consecutive nodes fuse
 * into one chain; a source node starts a new chain (a source in mid-pipeline
 * stays visible to the executor).
 *
 * @category constructors
 * @since 0.1.0
 */
export const stagesOf = (session: StageSession, loaded: ReadonlyArray<StageNode>, settings: StageSettings): Array<Transport.Stage> => {
  const chains: Array<Array<StageNode>> = []
  for (const node of loaded) {
    if (node.isSource || chains.length === 0) chains.push([node])
    else chains[chains.length - 1]!.push(node)
  }
  return chains.map((chain) => (chain[0]!.isSource ? sourceStage(session, chain, settings) : transformStage(session, chain, settings)))
}
