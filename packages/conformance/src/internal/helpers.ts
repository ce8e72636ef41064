// Shared helpers of the conformance scenarios.
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import type { LifecycleLog } from "../PythonFixtures.js"

/** A bridge call as an Effect (a rejection is a defect: it is the test's own setup failing). */
export const py = <A>(f: () => Promise<A>): Effect.Effect<A> => Effect.promise(f)

/** Checks a `PythonError`: its Python type, and fragments of its message and traceback. */
export const assertPythonError = (
  cause: unknown,
  pyType: string,
  expected: { readonly message?: string; readonly traceback?: ReadonlyArray<string> } = {}
): void => {
  assert.instanceOf(cause, Error, "the cause is an Error (the PythonError)")
  const e = cause as Error & { readonly pyType?: unknown; readonly pyMessage?: unknown; readonly traceback?: unknown }
  assert.isString(e.pyType, "PythonError.pyType")
  assert.match(e.pyType as string, new RegExp(`(^|\\.)${pyType}$`))
  if (expected.message !== undefined) assert.include(String(e.pyMessage), expected.message)
  assert.isString(e.traceback, "PythonError.traceback")
  for (const fragment of expected.traceback ?? []) assert.include(e.traceback as string, fragment)
}

/** Asserts how often `node` logged each lifecycle event. */
export const assertLifecycle = (
  log: LifecycleLog,
  node: string,
  counts: { readonly initialize: number; readonly process?: number; readonly cleanup: number }
): void => {
  const actual = {
    initialize: log.count(node, "initialize"),
    ...(counts.process === undefined ? {} : { process: log.count(node, "process") }),
    cleanup: log.count(node, "cleanup")
  }
  assert.deepStrictEqual(actual, counts, `lifecycle of '${node}': ${JSON.stringify(log.events())}`)
  // A shipped copy: the caller's object is only cleaned up, at most once, before it is pickled.
  const caller = log.callerEvents(node)
  assert.isTrue(caller.every((e) => e === "cleanup") && caller.length <= 1, `caller-side events of '${node}': ${caller.join(", ")}`)
}

const pause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Polls `check` every 10 ms of real time (`it.effect` runs a TestClock) until
 * it holds, failing after `timeoutMs`: a watchdog, never a runtime assertion
 * (generous: a transport that starts a process per node under load, as ray
 * does, can take seconds to get there).
 */
export const waitFor = (what: string, check: () => boolean, timeoutMs = 30_000): Effect.Effect<void> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* pause(10)
    }
  })

/** Every ordering of `items`. */
export const permutations = <A>(items: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> =>
  items.length <= 1
    ? [items]
    : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]))
