/**
 * TsStage: runs a TypeScript node in-process as a pipeline stage.
 * initialize() is acquired and cleanup() released in the caller's Scope, so
 * cleanup runs exactly once on success, failure and interruption. Synchronous
 * `process` functions stay synchronous: a batch only goes through Promises
 * when a node actually returns one.
 *
 * @since 0.1.0
 */
import { Effect, type Scope, Stream } from "effect"
import type { TsNode } from "./NodeRef.js"
import { NodeCleanupError, NodeInitializeError, NodeProcessError } from "./PipelineError.js"
import type { RuntimeData } from "./RuntimeData.js"
import { type CleanupReporter, PartialBatch, type ProcessContext, type Stage } from "./Transport.js"

type Outcome = { readonly kind: "none" } | { readonly kind: "one"; readonly value: unknown } | {
  readonly kind: "iterator"
  readonly it: Iterator<unknown>
} | { readonly kind: "async"; readonly it: AsyncIterable<unknown> } | { readonly kind: "promise"; readonly p: PromiseLike<unknown> }

const isIterator = (u: object): u is Iterator<unknown> =>
  typeof (u as { next?: unknown }).next === "function" && Symbol.iterator in u

const classify = (r: unknown): Outcome => {
  if (r === undefined || r === null) return { kind: "none" }
  if (typeof r === "object" || typeof r === "function") {
    if (typeof (r as PromiseLike<unknown>).then === "function") return { kind: "promise", p: r as PromiseLike<unknown> }
    if (Symbol.asyncIterator in r) return { kind: "async", it: r as AsyncIterable<unknown> }
    if (isIterator(r)) return { kind: "iterator", it: r }
  }
  return { kind: "one", value: r }
}

/**
 * Maps a node's `process` return value to its outputs, pushing into `out`.
 * Returns a Promise only when the value needs awaiting.
 */
const collect = (r: unknown, out: Array<RuntimeData>): void | Promise<void> => {
  const o = classify(r)
  switch (o.kind) {
    case "none":
      return
    case "one":
      out.push(o.value as RuntimeData)
      return
    case "iterator":
      for (let n = o.it.next(); !n.done; n = o.it.next()) out.push(n.value as RuntimeData)
      return
    case "async":
      return (async () => {
        for await (const v of o.it) out.push(v as RuntimeData)
      })()
    case "promise":
      return Promise.resolve(o.p).then((v) => collect(v, out))
  }
}

const processError = (nodeId: string, itemIndex: number, cause: unknown) =>
  new NodeProcessError({ nodeId, itemIndex, cause })

const runBatch = (
  node: TsNode<unknown, unknown>,
  nodeId: string,
  items: ReadonlyArray<RuntimeData>,
  ctx: ProcessContext
): ReadonlyArray<RuntimeData> | Promise<ReadonlyArray<RuntimeData>> => {
  const out: Array<RuntimeData> = []
  const record = ctx.recordItemTime
  const finishAsync = async (from: number, pending: Promise<void>, t0: number) => {
    for (let i = from; i < items.length; i++) {
      try {
        if (i === from) await pending
        else {
          t0 = record ? performance.now() : 0
          await collect(node.process(items[i]), out)
        }
      } catch (cause) {
        throw failure(out, processError(nodeId, ctx.firstIndex + i, cause))
      }
      record?.(nodeId, performance.now() - t0)
    }
    return out
  }
  for (let i = 0; i < items.length; i++) {
    const t0 = record ? performance.now() : 0
    let pending: void | Promise<void>
    try {
      pending = collect(node.process(items[i]), out)
    } catch (cause) {
      throw failure(out, processError(nodeId, ctx.firstIndex + i, cause))
    }
    if (pending !== undefined) return finishAsync(i, pending, t0)
    record?.(nodeId, performance.now() - t0)
  }
  return out
}

/** Outputs already produced in a failing batch travel with the error. */
const failure = (out: ReadonlyArray<RuntimeData>, error: NodeProcessError): NodeProcessError | PartialBatch =>
  out.length > 0 ? new PartialBatch(out, error) : error

const toProcessError = (nodeId: string, fallbackIndex: number) => (e: unknown): NodeProcessError | PartialBatch =>
  e instanceof NodeProcessError || e instanceof PartialBatch ? e : processError(nodeId, fallbackIndex, e)

const sourceItems = (node: TsNode<unknown, unknown>, nodeId: string): Stream.Stream<RuntimeData, NodeProcessError> =>
  Stream.suspend(() => {
    let produced = 0
    const onError = (cause: unknown) => processError(nodeId, produced, cause)
    let first: Outcome
    try {
      first = classify((node.process as () => unknown)())
    } catch (cause) {
      return Stream.fail(onError(cause))
    }
    const counted = <E>(s: Stream.Stream<unknown, E>) =>
      s.pipe(Stream.map((v) => {
        produced++
        return v as RuntimeData
      }))
    switch (first.kind) {
      case "none":
        return Stream.empty
      case "one":
        return Stream.succeed(first.value as RuntimeData)
      case "iterator": {
        const it = first.it
        return counted(Stream.fromAsyncIterable({
          // An async wrapper so each item is its own step (interruptible), with the generator's errors mapped by onError.
          // eslint-disable-next-line @typescript-eslint/require-await
          async *[Symbol.asyncIterator]() {
            for (let n = it.next(); !n.done; n = it.next()) yield n.value
          }
        }, onError))
      }
      case "async":
        return counted(Stream.fromAsyncIterable(first.it, onError))
      case "promise": {
        const p = first.p
        return Stream.unwrap(
          Effect.tryPromise({ try: async () => Array.from(await collectAll(p)), catch: onError }).pipe(
            Effect.map((values) => counted(Stream.fromIterable(values)))
          )
        )
      }
    }
  })

const collectAll = async (p: PromiseLike<unknown>): Promise<Array<RuntimeData>> => {
  const out: Array<RuntimeData> = []
  await collect(await p, out)
  return out
}

/**
 * Initializes a TypeScript node in the current Scope and returns its stage.
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = (
  nodeId: string,
  node: TsNode<unknown, unknown>,
  reportCleanupError: CleanupReporter
): Effect.Effect<Stage, NodeInitializeError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        await node.initialize?.()
      },
      catch: (cause) => new NodeInitializeError({ nodeId, cause })
    }),
    () =>
      Effect.promise(async () => {
        try {
          await node.cleanup?.()
        } catch (cause) {
          reportCleanupError(new NodeCleanupError({ nodeId, cause }))
        }
      })
  ).pipe(
    Effect.as<Stage>(
      node.isSource === true
        ? { _tag: "Source", nodeIds: [nodeId], items: sourceItems(node, nodeId) }
        : {
          _tag: "Transform",
          nodeIds: [nodeId],
          process: (items, ctx) =>
            Effect.suspend((): Effect.Effect<ReadonlyArray<RuntimeData>, NodeProcessError | PartialBatch> => {
              try {
                const r = runBatch(node, nodeId, items, ctx)
                return r instanceof Promise
                  ? Effect.tryPromise({ try: () => r, catch: toProcessError(nodeId, ctx.firstIndex) })
                  : Effect.succeed(r)
              } catch (e) {
                return Effect.fail(toProcessError(nodeId, ctx.firstIndex)(e))
              }
            })
        }
    )
  )
