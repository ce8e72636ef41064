/**
 * Stages: the `Transform` and `Source` stages core's executor drives, over a
 * {@link Session}'s worker. A stage is a chain of nodes fused in the worker:
 * one request per batch, whose reply carries the chain's outputs, or the
 * failure with the outputs produced before it (a `PartialBatch`).
 *
 * @since 0.1.0
 */
import { NodeProcessError, RuntimeData as RD, Transport } from "@remotemedia/core"
import { Effect, Option, Stream } from "effect"
import { ItemTimeout } from "../IpcError.js"
import { CodecError } from "./Codec.js"
import type { Reply } from "./Protocol.js"
import { type LoadedNode, pythonException, type Session } from "./Session.js"

type RuntimeData = RD.RuntimeData

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


const outputsOf = (
  reply: Reply,
  chain: ReadonlyArray<LoadedNode>,
  firstIndex: number,
  settings: StageSettings
): Effect.Effect<ReadonlyArray<RuntimeData>, NodeProcessError | Transport.PartialBatch> => {
  if (reply.op === "result") return Effect.succeed(reply.outputs)
  const last = chain[chain.length - 1]!.nodeId
  if (reply.op !== "error") {
    return Effect.fail(new NodeProcessError({ nodeId: last, itemIndex: firstIndex, cause: new Error(`unexpected '${reply.op}' reply`) }))
  }
  const nodeId = reply.node_id ?? last
  const itemIndex = reply.index ?? firstIndex
  const cause = reply.phase === "timeout"
    ? new ItemTimeout({ nodeId, itemIndex: reply.index, timeoutMs: settings.itemTimeoutMs ?? 0 })
    : pythonException(reply)
  const error = new NodeProcessError({ nodeId, itemIndex, cause })
  const partial = reply.outputs ?? []
  return Effect.fail(partial.length > 0 ? new Transport.PartialBatch(partial, error) : error)
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
const backstop = <A, E>(effect: Effect.Effect<A, E>, session: Session, nodeId: string, budgetMs: number | undefined) =>
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
export const transformStage = (session: Session, chain: ReadonlyArray<LoadedNode>, settings: StageSettings): Transport.TransformStage => {
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
      return backstop(session.run(request, `a batch of ${items.length} item(s)`, true), session, first, budget).pipe(
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
        Effect.flatMap((reply) => outputsOf(reply, chain, ctx.firstIndex, settings))
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
export const sourceStage = (session: Session, chain: ReadonlyArray<LoadedNode>, settings: StageSettings): Transport.SourceStage => {
  const slots = chain.map((n) => n.slot)
  const source = chain[0]!.nodeId
  type State = { readonly failed?: NodeProcessError; produced: number }
  let finished = false
  const pull = (state: State): Effect.Effect<readonly [ReadonlyArray<RuntimeData>, Option.Option<State>], NodeProcessError> => {
    if (state.failed) return Effect.fail(state.failed)
    return session.run({
      op: "pull",
      slots,
      max_items: settings.sourceChunkSize ?? 64,
      max_wait_ms: settings.sourceMaxWaitMs ?? 5,
      item_timeout_ms: settings.itemTimeoutMs
    }, "pulling from a source", false).pipe(
      Effect.mapError((cause) => new NodeProcessError({ nodeId: source, itemIndex: state.produced, cause })),
      Effect.flatMap((reply) =>
        outputsOf(reply, chain, state.produced, settings).pipe(
          Effect.map((outputs) => {
            const done = reply.op === "result" && reply.done === true
            if (done) finished = true
            return [outputs, done ? Option.none() : Option.some({ produced: state.produced + outputs.length })] as const
          }),
          Effect.catch((e) =>
            e instanceof Transport.PartialBatch
              ? Effect.succeed([e.outputs, Option.some({ failed: e.error, produced: state.produced })] as const)
              : Effect.fail(e)
          )
        )
      )
    )
  }
  return {
    _tag: "Source",
    nodeIds: chain.map((n) => n.nodeId),
    items: Stream.paginate<State, RuntimeData, NodeProcessError>({ produced: 0 }, pull).pipe(
      Stream.ensuring(
        Effect.suspend(() => finished || !session.current.alive ? Effect.void : Effect.ignore(session.run({ op: "end", slots }, "ending a source", false)))
      )
    )
  }
}
