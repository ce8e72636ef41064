// The warm worker pool: reuse across runs, no reuse after a failure, no state between runs, more runs than workers, plain-script exit.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Executor, NodeCleanupError, NodeProcessError, type NodeRef, TransportUnavailable } from "@remotemedia/core"
import { Effect, Layer, Stream } from "effect"
import { ItemTimeout, WorkerCrashed } from "../src/IpcError.js"
import * as IpcTransport from "../src/IpcTransport.js"
import { alive, base, eventually, fixture, fixturesDir, python, serialized } from "./helpers.js"

/** A pooled transport and the workers it reported (one entry per run and group). */
const pooled = (pool: IpcTransport.PoolOptions, extra: IpcTransport.IpcOptions = {}) => {
  const workers: Array<IpcTransport.WorkerInfo> = []
  const layer = IpcTransport.layer({ ...base, ...extra, pool, onWorker: (w) => workers.push(w) })
  return { workers, layer }
}

const run = (nodes: ReadonlyArray<NodeRef.NodeRef>, items: ReadonlyArray<unknown>) =>
  Executor.executePipelineWithInput(nodes, items as never)

describe("IpcTransport: warm worker pool", () => {
  it.live("reuses one worker across runs; the pool shuts it down when the layer is released", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1 })
      const calc = fixture("echo", "TypeName")
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* run([calc], [1]), ["int"])
        assert.deepStrictEqual(yield* run([calc], ["x"]), ["str"])
        assert.deepStrictEqual(yield* run([fixture("other", "TypeName")], [[1]]), ["list"])
        assert.isTrue(alive(workers[0]!.pid), "an idle pooled worker stays warm")
      }).pipe(Effect.provide(layer))
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 1)
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, true, true])
      assert.deepStrictEqual(workers.map((w) => w.nodeIds), [["echo"], ["echo"], ["other"]])
      assert.isTrue(yield* Effect.promise(() => eventually(() => !alive(workers[0]!.pid))), "the pool outlived its layer")
    }))

  it.live("node state does not leak between runs on one worker: manifest nodes and shipped instances start afresh", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1 })
      const counter = fixture("count", "Counter")
      const shipped = serialized("shipped", "Counter(start=100, name='shipped')")
      const outs = yield* Effect.gen(function*() {
        return [
          yield* run([counter], ["a", "b"]),
          yield* run([counter], ["c"]),
          yield* run([shipped], ["d"]),
          yield* run([shipped], ["e"])
        ]
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(outs, [[[1, "a"], [2, "b"]], [[1, "c"]], [[101, "d"]], [[101, "e"]]])
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 1)
    }))

  it.live("a worker that crashed is not reused: the next run gets a new one", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1 })
      const [crash, out] = yield* Effect.gen(function*() {
        const crash = yield* Effect.flip(run([fixture("kill", "KillSelf", { on: "die" })], ["die"]))
        return [crash, yield* run([fixture("kill", "KillSelf", { on: "die" })], ["live"])] as const
      }).pipe(Effect.provide(layer))
      assert.instanceOf((crash as NodeProcessError).cause, WorkerCrashed)
      assert.deepStrictEqual(out, [[1, "live"]])
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, false])
      assert.notStrictEqual(workers[0]!.pid, workers[1]!.pid)
    }))

  it.live("a worker whose cleanup failed, or whose item timed out, is not reused", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1 }, { itemTimeoutMs: 500 })
      const [cleanupError, timeout] = yield* Effect.gen(function*() {
        const cleanupError = yield* Effect.flip(run([fixture("bad", "FailCleanup")], [1]))
        const timeout = yield* Effect.flip(run([fixture("s", "Sleep")], [30]))
        assert.deepStrictEqual(yield* run([fixture("s", "Sleep")], [0]), [0])
        return [cleanupError, timeout] as const
      }).pipe(Effect.provide(layer))
      assert.instanceOf(cleanupError, NodeCleanupError)
      assert.instanceOf((timeout as NodeProcessError).cause, ItemTimeout)
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 3)
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, false, false])
      assert.isFalse(alive(workers[0]!.pid))
    }))

  it.live("a Python exception in process does not retire the worker", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1 })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(run([fixture("f", "FailOn", { bad: "bad" })], ["bad"]))
        assert.instanceOf(error, NodeProcessError)
        assert.deepStrictEqual(yield* run([fixture("f", "FailOn", { bad: "bad" })], ["ok"]), ["ok"])
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, true])
    }))

  it.live("more concurrent runs than workers: they wait for the pooled ones (within maxWaitMs)", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 2, maxWaitMs: 60_000 })
      const outs = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (i) => run([fixture("s", "Sleep")], [0.1 * (i % 2)]), {
        concurrency: "unbounded"
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(outs, [[0.1], [0], [0.1], [0], [0.1], [0]])
      assert.strictEqual(workers.length, 6)
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 2)
      assert.strictEqual(workers.filter((w) => w.reused).length, 4)
    }))

  it.live("more concurrent runs than workers: past maxWaitMs they start extra workers, shut down after their run", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 1, maxWaitMs: 0 })
      const idle = yield* Effect.gen(function*() {
        const outs = yield* Effect.forEach([0.5, 0.5, 0.5], (s) => run([fixture("s", "Sleep")], [s]), { concurrency: "unbounded" })
        assert.deepStrictEqual(outs, [[0.5], [0.5], [0.5]])
        yield* Effect.promise(() => eventually(() => workers.filter((w) => alive(w.pid)).length === 1))
        return workers.filter((w) => alive(w.pid))
      }).pipe(Effect.provide(layer))
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 3)
      assert.strictEqual(idle.length, 1, "one worker stays warm, the extras are shut down")
      assert.isTrue(yield* Effect.promise(() => eventually(() => !alive(idle[0]!.pid))))
    }))

  it.live("process-per-node groups of one run take separate pooled workers, all reused by the next run", () =>
    Effect.gen(function*() {
      const { workers, layer } = pooled({ size: 2 }, { isolation: "process-per-node" })
      const nodes = [fixture("a", "Counter"), fixture("b", "TypeName")]
      const outs = yield* Effect.all([run(nodes, ["x"]), run(nodes, ["y"])], { concurrency: 1 }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(outs, [["list"], ["list"]])
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 2)
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, false, true, true])
    }))

  it.live("invalid pool options fail with TransportUnavailable naming the field", () =>
    Effect.gen(function*() {
      for (const pool of [{ size: 0 }, { size: 1.5 }, { size: 2, maxWaitMs: -1 }, { size: 2, maxWaitMs: 2 ** 31 }]) {
        const error = yield* Effect.flip(Layer.build(IpcTransport.layer({ ...base, pool })).pipe(Effect.scoped))
        assert.instanceOf(error, TransportUnavailable)
        assert.match(error.message, /invalid options.*pool/s)
      }
    }))

  it.live("a plain `node script.mjs` using a pooled transport exits promptly with code 0; its workers exit after it", () =>
    Effect.promise(async () => {
      const started = Date.now()
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(fixturesDir, "pool_script.mjs"), python, fixturesDir], { timeout: 20_000 }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }))
      })
      assert.strictEqual(code, 0, stderr)
      assert.isBelow(Date.now() - started, 15_000)
      const lines = stdout.trim().split("\n")
      assert.deepStrictEqual(lines.filter((l) => l.startsWith("out ")), ['out [[1,"a"],[2,"b"]]', 'out [[1,"c"]]'])
      const pids = lines.filter((l) => l.startsWith("worker ")).map((l) => l.split(" ")[1])
      assert.deepStrictEqual(lines.filter((l) => l.startsWith("worker ")).map((l) => l.split(" ")[2]), ["reused=false", "reused=true"])
      assert.strictEqual(new Set(pids).size, 1)
      assert.isTrue(await eventually(() => !alive(Number(pids[0]))), "the pooled worker outlived the script")
    }), 30_000)
})

describe("IpcTransport: warm worker pool lifecycle log", () => {
  it.live("a run stopped mid-batch gives its worker back once the cancelled batch answered; the next run reuses it", () =>
    Effect.gen(function*() {
      const log = join(mkdtempSync(join(tmpdir(), "transport-ipc-pool-")), "life.log")
      const { workers, layer } = pooled({ size: 1 })
      const slow = fixture("slow", "SlowLog", { path: log, delay: 0.2 })
      const [first, second] = yield* Effect.gen(function*() {
        const first = yield* Executor.streamPipeline([slow], Stream.fromIterable([1, 2, 3, 4, 5, 6, 7, 8])).pipe(
          Stream.take(1),
          Stream.runCollect
        )
        return [first, yield* run([slow], [9])] as const
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual([first, second], [[1], [9]])
      assert.deepStrictEqual(workers.map((w) => w.reused), [false, true])
      const events = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" ")[1])
      assert.strictEqual(events.filter((e) => e === "cleanup").length, 2)
      assert.isBelow(events.filter((e) => e?.startsWith("process-")).length, 8)
    }))

  it.live("each run initializes and cleans up its own node once, in the same pooled process", () =>
    Effect.gen(function*() {
      const log = join(mkdtempSync(join(tmpdir(), "transport-ipc-pool-")), "life.log")
      const { workers, layer } = pooled({ size: 1 })
      yield* Effect.gen(function*() {
        yield* run([fixture("life", "LifecycleLog", { path: log })], [1, 2])
        yield* run([fixture("life", "LifecycleLog", { path: log })], [3])
      }).pipe(Effect.provide(layer))
      const events = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" "))
      assert.deepStrictEqual(events.map((e) => e[1]), ["initialize", "process", "process", "cleanup", "initialize", "process", "cleanup"])
      assert.isTrue(events.every((e) => e[2] === String(workers[0]!.pid)))
    }))
})
