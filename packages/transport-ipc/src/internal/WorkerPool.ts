/**
 * WorkerPool: where a session gets its worker and where the worker goes
 * after the run. Without a pool (`size` 0) every run starts a fresh worker
 * and shuts it down at the end. With one, up to `size` *pooled* workers
 * exist at a time: a run takes an idle one, else starts one while fewer than
 * `size` exist, else waits up to `maxWaitMs` for one to come back and then
 * starts an extra worker that is shut down after its run. A worker goes back
 * to the pool only when its session says it is clean (every node it held was
 * cleaned up, no cleanup failed) and it is alive with nothing in
 * flight; any other is shut down (killed if it does not answer in time). Idle
 * workers do not keep the event loop alive; `close` shuts them all down.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { WorkerStartError } from "../IpcError.js"
import type { Worker } from "./WorkerProcess.js"

/**
 * A worker lent to one session.
 *
 * @category models
 * @since 0.1.0
 */
export interface Lease {
  readonly worker: Worker
  /** Whether it counts toward the pool's size (an extra or a replacement after a crash does not). */
  readonly pooled: boolean
  /** Whether it ran an earlier run's nodes. */
  readonly reused: boolean
}

type Grant = Worker | "start"

/**
 * The pool of one transport.
 *
 * @category models
 * @since 0.1.0
 */
export class WorkerPool {
  private readonly idle: Array<Worker> = []
  private readonly waiters: Array<(grant: Grant) => void> = []
  /** Pooled workers in existence: idle, lent out, or starting. */
  private live = 0
  private closed = false

  constructor(
    private readonly size: number,
    private readonly maxWaitMs: number,
    private readonly shutdownMs: number,
    private readonly onIdleLine: (line: string, pid: number) => void
  ) {}

  /** A worker for a session: an idle pooled one, a newly started one, or one handed back while waiting. */
  acquire(start: Effect.Effect<Worker, WorkerStartError>): Effect.Effect<Lease, WorkerStartError> {
    return Effect.suspend(() => {
      for (let worker = this.idle.pop(); worker !== undefined; worker = this.idle.pop()) {
        if (worker.alive) return Effect.succeed(this.lend(worker))
        this.forget() // died while idle
      }
      if (this.closed || this.size === 0) return this.startExtra(start)
      if (this.live < this.size) {
        this.live++
        return this.startPooled(start)
      }
      return this.wait().pipe(
        Effect.flatMap((grant) =>
          Option.isNone(grant)
            ? this.startExtra(start)
            : grant.value === "start"
            ? this.startPooled(start)
            : Effect.succeed({ worker: grant.value, pooled: true, reused: true })
        )
      )
    })
  }

  /**
   * Takes a worker back after its session: into the pool (or straight to a
   * waiting run) when `clean` and there is room, else it is shut down.
   */
  release(lease: Lease, clean: boolean): Effect.Effect<void> {
    return Effect.suspend(() => {
      const worker = lease.worker
      if (clean && !this.closed && worker.alive && worker.quiescent && (lease.pooled || this.live < this.size)) {
        if (!lease.pooled) this.live++
        this.giveBack(worker)
        return Effect.void
      }
      if (lease.pooled) this.forget()
      return worker.shutdown(this.shutdownMs)
    })
  }

  /** A session replaced its crashed worker: the lease's place in the pool is free again. */
  discard(lease: Lease): void {
    lease.worker.kill()
    if (lease.pooled) this.forget()
  }

  /** Shuts every idle worker down; workers still lent out are shut down when they come back. */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      const idle = this.idle.splice(0)
      this.live -= idle.length
      for (const worker of idle) worker.hold(true) // the shutdown is awaited
      for (const waiter of this.waiters.splice(0)) {
        this.live++
        waiter("start")
      }
      return Effect.forEach(idle, (w) => w.shutdown(this.shutdownMs), { concurrency: "unbounded", discard: true })
    })
  }

  private lend(worker: Worker): Lease {
    worker.hold(true)
    return { worker, pooled: true, reused: true }
  }

  private giveBack(worker: Worker): void {
    const waiter = this.waiters.shift()
    if (waiter !== undefined) return waiter(worker)
    worker.assign([], this.onIdleLine)
    worker.hold(false)
    this.idle.push(worker)
  }

  /** One pooled worker fewer: a waiting run may start one in its place. */
  private forget(): void {
    this.live--
    const waiter = this.waiters.shift()
    if (waiter === undefined) return
    this.live++
    waiter("start")
  }

  private startPooled(start: Effect.Effect<Worker, WorkerStartError>): Effect.Effect<Lease, WorkerStartError> {
    return start.pipe(
      Effect.map((worker): Lease => ({ worker, pooled: true, reused: false })),
      Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.sync(() => this.forget())))
    )
  }

  private startExtra(start: Effect.Effect<Worker, WorkerStartError>): Effect.Effect<Lease, WorkerStartError> {
    return Effect.map(start, (worker): Lease => ({ worker, pooled: false, reused: false }))
  }

  /**
   * Waits for a pooled worker (or a free place to start one); none after
   * `maxWaitMs`. Whichever comes first removes the waiter, so a worker is
   * never handed to a run that stopped waiting.
   */
  private wait(): Effect.Effect<Option.Option<Grant>> {
    return Effect.callback<Option.Option<Grant>>((resume) => {
      const waiter = (grant: Grant) => {
        clearTimeout(timer)
        resume(Effect.succeed(Option.some(grant)))
      }
      const leave = () => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        clearTimeout(timer)
      }
      const timer = setTimeout(() => {
        leave()
        resume(Effect.succeed(Option.none()))
      }, this.maxWaitMs)
      this.waiters.push(waiter)
      return Effect.sync(leave)
    })
  }
}
