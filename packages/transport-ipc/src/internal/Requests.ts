/**
 * Requests: the requests in flight on one worker channel — their `seq`
 * numbers, who waits for each reply, and the ones whose caller stopped
 * waiting (their replies, and the replies to the `cancel`s sent for them,
 * are dropped when they come). Shared by a spawned worker and a standalone
 * caller's attached one, which differ only in how bytes go out.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CodecError } from "./Codec.js"
import type { Reply, Request } from "./Protocol.js"

interface Pending<E> {
  readonly during: string
  readonly resume: (outcome: Effect.Effect<Reply, E>) => void
}

/**
 * How a reply matched.
 *
 * @category models
 * @since 0.1.0
 */
export type Match = "resumed" | "dropped" | "unknown"

/**
 * The requests of one channel; `E` is how the channel fails.
 *
 * @category models
 * @since 0.1.0
 */
export class Requests<E> {
  private seq = 0
  private readonly pending = new Map<number, Pending<E>>()
  private readonly abandoned = new Set<number>()

  /** @param send writes one message (with its `seq`) to the channel; throws when it cannot be encoded. */
  constructor(private readonly send: (message: { readonly seq: number } & Request) => void) {}

  /** Whether nothing is in flight: every request sent (abandoned ones and their cancels included) was answered. */
  get quiescent(): boolean {
    return this.pending.size === 0 && this.abandoned.size === 0
  }

  /** Whether a caller waits for a reply. */
  get waiting(): boolean {
    return this.pending.size > 0
  }

  /** What the oldest request in flight was doing, for messages. */
  get during(): string {
    return [...this.pending.values()][0]?.during ?? "idle time"
  }

  /**
   * Sends `request` and waits for its reply (an `error` reply is a value
   * here). `failure()` says whether the channel already failed. Interrupted,
   * it stops waiting at once and, for a `process` or `pull` while `alive()`,
   * asks the worker to stop it (`cancel`, whose reply is not awaited).
   */
  run(
    request: Request,
    during: string,
    failure: () => Effect.Effect<never, E> | undefined,
    alive: () => boolean
  ): Effect.Effect<Reply, E | CodecError> {
    return Effect.callback<Reply, E | CodecError>((resume) => {
      const failed = failure()
      if (failed !== undefined) return resume(failed)
      const seq = ++this.seq
      try {
        // `seq` first: a spread into a fresh literal keeps a fast object shape for the encoder
        this.send({ seq, ...request })
      } catch (e) {
        return resume(Effect.fail(e instanceof CodecError ? e : new CodecError(String(e), { cause: e })))
      }
      this.pending.set(seq, { during, resume })
      return Effect.sync(() => this.abandon(seq, (request.op === "process" || request.op === "pull") && alive()))
    })
  }

  private abandon(seq: number, cancel: boolean): void {
    if (!this.pending.delete(seq)) return
    this.abandoned.add(seq)
    if (!cancel) return
    const cancelSeq = ++this.seq
    this.abandoned.add(cancelSeq)
    try {
      this.send({ seq: cancelSeq, op: "cancel", target: seq })
    } catch {
      this.abandoned.delete(cancelSeq) // a cancel always encodes; a closed channel has nothing left to stop
    }
  }

  /** Hands `reply` to whoever waits for it, drops it if nobody does any more, or says it answers nothing. */
  settle(reply: Reply): Match {
    const seq = reply.seq as number
    const waiting = this.pending.get(seq)
    if (waiting === undefined) return this.abandoned.delete(seq) ? "dropped" : "unknown"
    this.pending.delete(seq)
    waiting.resume(Effect.succeed(reply))
    return "resumed"
  }

  /** Fails every request in flight with `error`. */
  failAll(error: E): void {
    for (const [, p] of this.pending) p.resume(Effect.fail(error))
    this.pending.clear()
  }
}
