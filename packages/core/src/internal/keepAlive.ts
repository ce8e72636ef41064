// keepAlive: a ref'd handle held while a run or a stream pull is pending, so a plain script's event loop waits for it.
import { Effect } from "effect"

let pending = 0
let timer: ReturnType<typeof setInterval> | undefined

const hold = (): void => {
  if (pending++ > 0) return
  timer ??= setInterval(() => {}, 2 ** 31 - 1)
  timer.ref()
}

const release = (): void => {
  if (--pending === 0) timer?.unref()
}

/**
 * Runs `effect` with the process kept alive until it ends, however it ends.
 * Node exits when its event loop is empty, even with a promise pending: the
 * handles a transport waits on (a worker's pipes, the bridge's calls) may be
 * unref'd, so without this a script awaiting a run whose worker crashed would
 * exit (code 13) before the crash is seen. One shared timer, ref'd while
 * anything is pending and unref'd when nothing is.
 */
export const keepAlive = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(Effect.sync(hold), () => effect, () => Effect.sync(release))
