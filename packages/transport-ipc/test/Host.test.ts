// Standalone callers: the attached worker against a real Python caller's worker thread, and the Host driven by a real Python caller.
import { spawn } from "node:child_process"
import { join } from "node:path"
import type { Readable, Writable } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { NodeInitializeError, PythonError, Transport } from "@remotemedia/core"
import { Effect, Exit } from "effect"
import { AttachedWorker, liveRef, load } from "../src/internal/Attached.js"
import { fixturesDir, python } from "./helpers.js"

/** Runs `python <script>` with fds 3/4 as pipes; resolves its stdout once it exited 0. */
const pythonWith = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(python, [...args], {
    stdio: ["ignore", "pipe", "inherit", "pipe", "pipe"],
    env: { ...process.env, PYTHONPATH: fixturesDir, ...env }
  })
  let stdout = ""
  child.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t))
  const done = new Promise<string>((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stdout}`))))
  )
  return { child, done, requests: child.stdio[3] as Writable, replies: child.stdio[4] as Readable }
}

const noCleanupErrors: Transport.CleanupReporter = (e) => assert.fail(e.message)

describe("AttachedWorker", () => {
  it.effect("runs a caller's own objects fused in one chain, keeps its exception ids, cleans up, ends the caller's thread", () =>
    Effect.gen(function*() {
      const caller = pythonWith([join(fixturesDir, "live_worker.py")])
      const worker = yield* AttachedWorker.attach(caller.requests, caller.replies, 10_000)
      assert.strictEqual(worker.pid, caller.child.pid)
      const failure = yield* Effect.scoped(Effect.gen(function*() {
        const stages = yield* load(worker, [
          { id: "counter_0", ref: liveRef(1, "counter", "live_worker.Counter") },
          { id: "fails_1", ref: liveRef(2, "fails", "live_worker.FailOn4") }
        ], noCleanupErrors)
        assert.strictEqual(stages.length, 1) // consecutive live nodes fuse
        const stage = stages[0]! as Transport.TransformStage
        assert.deepStrictEqual(stage.nodeIds, ["counter_0", "fails_1"])
        assert.deepStrictEqual(yield* stage.process([1, 3], { firstIndex: 0 }), [3, 7])
        return yield* Effect.flip(stage.process([5, 2, 6], { firstIndex: 2 }))
      }))
      // Outputs before the failure are kept; the failure names the node, the item and the kept exception.
      assert.instanceOf(failure, Transport.PartialBatch)
      const partial = failure
      assert.deepStrictEqual(partial.outputs, [11])
      assert.strictEqual(partial.error.nodeId, "fails_1")
      assert.strictEqual(partial.error.itemIndex, 3)
      const cause = partial.error.cause as PythonError
      assert.instanceOf(cause, PythonError)
      assert.strictEqual(cause.pyType, "ValueError")
      assert.strictEqual(cause.exception, 100)

      const unknown = yield* Effect.flip(Effect.scoped(load(worker, [{ id: "gone", ref: liveRef(99, "gone", "x.Gone") }], noCleanupErrors)))
      assert.instanceOf(unknown, NodeInitializeError)
      assert.strictEqual((unknown.cause as PythonError).pyType, "LookupError")

      yield* worker.shutdown()
      assert.isFalse(worker.alive)
      const state = JSON.parse(yield* Effect.promise(() => caller.done)) as Record<string, unknown>
      assert.deepStrictEqual(state, { calls: 5, initialized: 1, cleaned: 1, kept: { "100": "2:ValueError:bad item 4" } })
    }))

  it.effect("fails requests in flight when the caller's channel ends, and never attaches without a hello", () =>
    Effect.gen(function*() {
      const caller = pythonWith([join(fixturesDir, "live_worker.py")])
      const worker = yield* AttachedWorker.attach(caller.requests, caller.replies, 10_000)
      caller.done.catch(() => {}) // killed: no state to read
      caller.child.kill("SIGKILL")
      const crashed = yield* Effect.exit(worker.run({ op: "process", slots: [0], items: [1], first_index: 0 }, "a batch"))
      assert.isTrue(Exit.isFailure(crashed))
      assert.isFalse(worker.alive)

      const silent = spawn(python, ["-c", "import time; time.sleep(5)"], { stdio: ["ignore", "ignore", "inherit", "pipe", "pipe"] })
      const error = yield* Effect.flip(AttachedWorker.attach(silent.stdio[3] as Writable, silent.stdio[4] as Readable, 300))
      assert.match(error.message, /no hello within 300 ms/)
      silent.kill("SIGKILL")
    }))
})

const callerScript = `
import asyncio, json, time
from remotemedia import Node, execute_pipeline_with_input
from remotemedia._standalone import standalone_runtime
from remotemedia.errors import TransportError

class Counter(Node):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = 0
    def process(self, x):
        self.calls += 1
        if x == "boom":
            self.raised = KeyError("boom")
            raise self.raised
        return x * 2

async def main():
    c = Counter(name="counter")
    calc = {"id": "calc", "node_type": "CalculatorNode", "params": {"operation": "add", "operand": 1}}
    outputs = await execute_pipeline_with_input([c, calc, c], [1, 2], transport="ipc")
    rt = standalone_runtime()
    hello = rt._child.hello
    try:
        await execute_pipeline_with_input([c], ["boom"])
    except KeyError as exc:
        same = exc is c.raised
    try:
        await execute_pipeline_with_input([calc], [1], transport="nope")
    except TransportError as exc:
        unavailable = {"name": exc.name, "causes": exc.details["causes"], "transport": exc.details["transport"]}
    t0 = time.perf_counter()
    for _ in range(20):
        await execute_pipeline_with_input([c], [1])
    ms = (time.perf_counter() - t0) / 20 * 1000
    print(json.dumps({"outputs": outputs, "calls": c.calls, "hello": [hello["runtime"], hello["node"]],
                      "same": same, "unavailable": unavailable, "ms": ms}))

asyncio.run(main())
`

describe("Host", () => {
  it("serves a real Python caller: its own objects run in it, manifest nodes on the selected transport, errors as the caller's exceptions", async () => {
    const caller = pythonWith(["-c", callerScript], { REMOTEMEDIA_CLI: join(fixturesDir, "host.mjs") })
    const result = JSON.parse(await caller.done) as Record<string, unknown>
    assert.deepStrictEqual(result["outputs"], [6, 10])
    assert.strictEqual(result["calls"], 4 + 1 + 20)
    assert.deepStrictEqual(result["hello"], ["test-host", process.version])
    assert.isTrue(result["same"])
    assert.deepStrictEqual(result["unavailable"], { name: "TransportUnavailable", causes: ["TransportUnavailable"], transport: "nope" })
    console.log(`standalone round trip of a one-node run (live node, caller -> child -> caller's worker -> child -> caller): ${(result["ms"] as number).toFixed(2)} ms`)
  }, 60_000)
})
