// IpcTransport: pipelines on worker subprocesses — fusing, isolation, instances, failures, restarts, timeouts, logs.
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import {
  Audio,
  executePipeline,
  executePipelineWithInput,
  Executor,
  InvalidRuntimeData,
  NodeCleanupError,
  NodeInitializeError,
  NodeProcessError,
  NodeRef,
  Pipeline,
  PythonError,
  streamPipeline,
  Tensor,
  Transport,
  TransportUnavailable,
  VideoFrame
} from "@remotemedia/core"
import { Config, ConfigProvider, Effect, Layer, Logger, References, Stream } from "effect"
import { PickledObject } from "../src/PickledObject.js"
import { ItemTimeout, ProtocolError, WorkerCrashed } from "../src/IpcError.js"
import * as IpcTransport from "../src/IpcTransport.js"
import { alive, base, eventually, fixture, fixturesDir, python, serialized, sleep } from "./helpers.js"

const layer = (extra: IpcTransport.IpcOptions = {}) => IpcTransport.layer({ ...base, ...extra })

const run = (nodes: ReadonlyArray<unknown>, items: ReadonlyArray<unknown>, extra: IpcTransport.IpcOptions = {}) =>
  Executor.executePipelineWithInput(nodes, items as never).pipe(Effect.provide(layer(extra)))

const tmp = () => mkdtempSync(join(tmpdir(), "transport-ipc-"))

/** Loads nodes with the transport inside a scope and hands the stages to `use`. */
const withStages = <A, E>(
  nodes: ReadonlyArray<NodeRef.NodeRef>,
  use: (stages: ReadonlyArray<Transport.Stage>, cleanupErrors: Array<NodeCleanupError>) => Effect.Effect<A, E>,
  extra: IpcTransport.IpcOptions = {}
) =>
  Effect.gen(function*() {
    const transport = yield* Transport.Transport
    const pipeline = yield* Pipeline.make(nodes)
    const cleanupErrors: Array<NodeCleanupError> = []
    const stages = yield* transport.load(pipeline.nodes, (e) => cleanupErrors.push(e))
    return yield* use(stages, cleanupErrors)
  }).pipe(Effect.scoped, Effect.provide(layer(extra)))

const processOn = (stage: Transport.Stage, items: ReadonlyArray<unknown>, firstIndex = 0) =>
  (stage as Transport.TransformStage).process(items as never, { firstIndex })

const lines = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : [])

describe("IpcTransport: running nodes", () => {
  it.live("fuses consecutive Python nodes into one worker; a TS node between them splits it in two", () =>
    Effect.gen(function*() {
      const workers: Array<IpcTransport.WorkerInfo> = []
      const out = yield* run([
        NodeRef.manifestNode("calc", "CalculatorNode", { operation: "multiply", operand: 3 }),
        NodeRef.manifestNode("pass", "PassThrough"),
        { process: (x: number) => x + 1 },
        NodeRef.manifestNode("add", "CalculatorNode", { operation: "add", operand: 100 })
      ], [1, 2, 3], { onWorker: (w) => workers.push(w) })
      assert.deepStrictEqual(out, [104, 107, 110])
      assert.deepStrictEqual(workers.map((w) => w.nodeIds), [["calc", "pass"], ["add"]])
      assert.isTrue(workers.every((w) => !alive(w.pid)))
    }))

  it.live("process-per-node isolation runs each Python node in its own worker", () =>
    Effect.gen(function*() {
      const workers: Array<IpcTransport.WorkerInfo> = []
      const out = yield* run(
        [fixture("a", "Counter"), fixture("b", "Counter", { start: 10 }), fixture("c", "TypeName")],
        ["x"],
        { isolation: "process-per-node", onWorker: (w) => workers.push(w) }
      )
      assert.deepStrictEqual(out, ["list"])
      assert.deepStrictEqual(workers.map((w) => w.nodeIds), [["a"], ["b"], ["c"]])
      assert.strictEqual(new Set(workers.map((w) => w.pid)).size, 3)
    }))

  it.live("ships a serialized instance with its state: initialized once in the worker, state kept", () =>
    Effect.gen(function*() {
      const counter = serialized("counter", "Counter(start=100, name='counter')")
      const out = yield* run([counter, fixture("after", "TypeName")], ["a", "b"])
      assert.deepStrictEqual(out, ["list", "list"])
      const direct = yield* run([counter], ["a", "b"])
      assert.deepStrictEqual(direct, [[101, "a"], [102, "b"]])
    }))

  it.live("runs Python sources fused with the nodes after them", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipeline([fixture("src", "Source", { count: 4 }), fixture("fan", "Fanout")]).pipe(
        Effect.provide(layer({ sourceChunkSize: 2 }))
      )
      assert.deepStrictEqual(out, [10, 20, 21, 30, 31, 32])
    }))

  it.live("streams: outputs flow while input arrives, and stopping early cleans up", () =>
    Effect.gen(function*() {
      const log = join(tmp(), "life.log")
      const first = yield* Executor.streamPipeline(
        [fixture("life", "LifecycleLog", { path: log }), NodeRef.manifestNode("calc", "CalculatorNode", { operation: "add", operand: 1 })],
        Stream.fromIterable([1, 2, 3, 4, 5])
      ).pipe(Stream.take(2), Stream.runCollect, Effect.provide(layer()))
      assert.deepStrictEqual(first, [2, 3])
      assert.strictEqual(lines(log).filter((l) => l.startsWith("life cleanup")).length, 1)
    }))

  it.live("reports per-node item times measured in the worker (metrics)", () =>
    Effect.gen(function*() {
      const result = yield* Executor.executePipelineWithInput(
        [NodeRef.manifestNode("a", "CalculatorNode", { operation: "add", operand: 0 }), fixture("b", "Fanout")],
        [1, 2],
        { metrics: true }
      ).pipe(Effect.provide(layer()))
      const ids = result.metrics.nodes.map((n) => n.nodeId)
      assert.includeMembers(ids, ["a", "b"])
      assert.isAbove(result.metrics.nodes.find((n) => n.nodeId === "a")!.processTime.total, 0)
    }))
})

describe("IpcTransport: data", () => {
  it.live("round-trips every RuntimeData kind through a worker", () =>
    Effect.gen(function*() {
      const items = [
        "é🎧",
        2 ** 40,
        2n ** 64n + 7n,
        -(2n ** 63n),
        0.1,
        true,
        Uint8Array.from({ length: 256 }, (_, i) => i),
        [1, [2, []]],
        { type: "not media", samples: [1] },
        new Tensor(Int16Array.from([1, -2, 3, -4, 5, -6]), [2, 3]),
        new Audio(Float32Array.from([0.5, -0.5]), 16000, 2),
        new VideoFrame(Uint8Array.from([1, 2, 3]), 1, 1, "rgb24")
      ]
      const out = yield* run([NodeRef.manifestNode("p", "PassThrough")], items)
      assert.deepStrictEqual(out, items)
      const types = yield* run([fixture("t", "TypeName")], items)
      assert.deepStrictEqual(types, [
        "str", "int", "int", "int", "float", "bool", "bytes", "list", "dict", "ndarray[int16](2, 3)", "Audio", "VideoFrame"
      ])
    }))

  it.live("moves a 64 MiB tensor through a worker and back", () =>
    Effect.gen(function*() {
      const data = new Float32Array(16 * 1024 * 1024)
      data[12345] = 42
      const [out] = yield* run([NodeRef.manifestNode("p", "PassThrough")], [new Tensor(data)])
      assert.instanceOf(out, Tensor)
      assert.strictEqual((out as Tensor<"float32">).data.length, data.length)
      assert.strictEqual((out as Tensor<"float32">).data[12345], 42)
    }), 60_000)

  it.live("a cyclic item fails with a NodeProcessError naming the cycle's path; a 5,000-deep one with a short message", () =>
    Effect.gen(function*() {
      const cyclic: { a: { b: Array<unknown> } } = { a: { b: [1] } }
      cyclic.a.b.push(cyclic)
      const cycle = yield* Effect.flip(run([NodeRef.manifestNode("p", "PassThrough")], [1, cyclic]))
      assert.instanceOf(cycle, NodeProcessError)
      assert.deepStrictEqual([(cycle).nodeId, (cycle).itemIndex], ["p", 1])
      const invalid = (cycle).cause as InvalidRuntimeData
      assert.instanceOf(invalid, InvalidRuntimeData)
      assert.deepStrictEqual([invalid.reason, invalid.path], ["cycle", "item.a.b[1]"])
      assert.include(cycle.message, "cycl")
      assert.include(cycle.message, "item.a.b[1]")
      let deep: unknown = "bottom"
      for (let i = 0; i < 5_000; i++) deep = [deep]
      const tooDeep = yield* Effect.flip(run([NodeRef.manifestNode("p", "PassThrough")], ["fine", deep]))
      assert.strictEqual((tooDeep as NodeProcessError).itemIndex, 1)
      assert.strictEqual(((tooDeep as NodeProcessError).cause as InvalidRuntimeData).reason, "depth")
      assert.isBelow(tooDeep.message.length, 300)
    }))

  it.live("forwards Python-only objects through TypeScript as opaque pickled values", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const out = yield* run([
        fixture("make", "MakeOpaque"),
        { process: (x: unknown) => (seen.push(x), x) },
        fixture("open", "OpenOpaque")
      ], ["v1", 7])
      assert.deepStrictEqual(out, ["v1", 7])
      assert.instanceOf(seen[0], PickledObject)
      assert.strictEqual((seen[0]).typeName, "ipc_test_nodes.Opaque")
    }))
})

describe("IpcTransport: failures", () => {
  it.live("a Python exception fails with NodeProcessError carrying type, message and traceback; cleanup runs; it can run again", () =>
    Effect.gen(function*() {
      const log = join(tmp(), "life.log")
      const nodes = [fixture("life", "LifecycleLog", { path: log }), fixture("fail", "FailOn", { bad: "bad" })]
      const error = yield* Effect.flip(run(nodes, ["ok", "bad", "never"]))
      assert.instanceOf(error, NodeProcessError)
      const e = error
      assert.deepStrictEqual([e.nodeId, e.itemIndex], ["fail", 1])
      assert.instanceOf(e.cause, PythonError)
      const py = e.cause
      assert.deepStrictEqual([py.pyType, py.pyModule, py.pyMessage], ["ValueError", "builtins", "cannot take 'bad'"])
      assert.match(py.traceback, /Traceback \(most recent call last\):[\s\S]*ipc_test_nodes\.py", line \d+, in process/)
      assert.strictEqual(lines(log).filter((l) => l.startsWith("life cleanup")).length, 1)
      assert.deepStrictEqual(yield* run(nodes, ["again"]), ["again"])
    }))

  it.live("outputs produced before a failing item arrive as a PartialBatch", () =>
    withStages([fixture("fan", "Fanout"), fixture("fail", "FailOn", { bad: 21 })], ([stage]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(processOn(stage!, [1, 2, 3], 5))
        assert.instanceOf(error, Transport.PartialBatch)
        const partial = error
        assert.deepStrictEqual(partial.outputs, [10, 20])
        assert.deepStrictEqual([partial.error.nodeId, partial.error.itemIndex], ["fail", 2])
      })))

  it.live("a class the worker cannot import fails to load, naming module and class", () =>
    Effect.gen(function*() {
      const dir = tmp()
      writeFileSync(join(dir, "elsewhere_nodes.py"), "from remotemedia import Node\nclass Gain(Node):\n    def process(self, x):\n        return x\n")
      const code = "import sys, pickle, elsewhere_nodes; sys.stdout.buffer.write(pickle.dumps(elsewhere_nodes.Gain(name='g')))"
      const bytes = new Uint8Array(execFileSync(python, ["-c", code], { env: { ...process.env, PYTHONPATH: dir } }))
      const ref = NodeRef.serializedInstance({ bytes, name: "g", className: "elsewhere_nodes.Gain" })
      const error = yield* Effect.flip(run([ref], [1]))
      assert.instanceOf(error, NodeInitializeError)
      const py = (error).cause as PythonError
      assert.deepStrictEqual([py.pyModule, py.pyType], ["remotemedia.errors", "SerializationError"])
      assert.match(py.pyMessage, /'Gain' from module 'elsewhere_nodes', which cannot be imported/)
    }))

  it.live("an unknown node type fails to load; nodes loaded before it are cleaned up", () =>
    Effect.gen(function*() {
      const log = join(tmp(), "life.log")
      const error = yield* Effect.flip(run([fixture("life", "LifecycleLog", { path: log }), NodeRef.manifestNode("x", "NoSuchNode")], [1]))
      assert.instanceOf(error, NodeInitializeError)
      assert.strictEqual((error).nodeId, "x")
      assert.strictEqual(((error).cause as PythonError).pyType, "NodeTypeNotFoundError")
      assert.deepStrictEqual(lines(log).map((l) => l.split(" ")[1]), ["initialize", "cleanup"])
    }))

  it.live("a worker killed mid-stream fails with WorkerCrashed within a second: signal, stderr lines, no zombie", () =>
    Effect.gen(function*() {
      const workers: Array<IpcTransport.WorkerInfo> = []
      const started = Date.now()
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([fixture("k", "KillSelf", { on: "die" })], ["a", "b", "die", "c"], { maxBatch: 1 }).pipe(
          Effect.provide(layer({ onWorker: (w) => workers.push(w) }))
        )
      )
      const crash = (error as NodeProcessError).cause as WorkerCrashed
      assert.instanceOf(crash, WorkerCrashed)
      assert.strictEqual(crash.signal, "SIGKILL")
      assert.include(crash.stderrTail.join("\n"), "about to die on 'die'")
      assert.include(crash.message, "was killed by SIGKILL")
      assert.isBelow(Date.now() - started, 10_000)
      assert.isFalse(alive(workers[0]!.pid))
    }))

  it.live("an external SIGKILL is noticed within a second", () =>
    Effect.gen(function*() {
      let pid = 0
      const stream = Executor.streamPipeline([fixture("s", "Sleep")], Stream.fromIterable([0, 30])).pipe(
        Stream.runCollect,
        Effect.provide(layer({ onWorker: (w) => (pid = w.pid) }))
      )
      let killedAt = 0
      const killer = Effect.promise(async () => {
        await eventually(() => pid !== 0)
        await new Promise((r) => setTimeout(r, 300))
        killedAt = Date.now()
        process.kill(pid, "SIGKILL")
      })
      const [error] = yield* Effect.all([Effect.flip(stream), killer], { concurrency: 2 })
      assert.isBelow(Date.now() - killedAt, 1_000)
      assert.instanceOf((error as NodeProcessError).cause, WorkerCrashed)
      assert.isFalse(alive(pid))
    }))

  it.live("with a restart policy, the instance is re-shipped to a new worker and the stream continues", () =>
    Effect.gen(function*() {
      const marker = join(tmp(), "crashed")
      const node = serialized("k", `KillSelf(on='die', marker=${JSON.stringify(marker)}, name='k')`)
      const pids: Array<number> = []
      const out = yield* Executor.executePipelineWithInput([node], ["a", "die", "c"], { maxBatch: 1 }).pipe(
        Effect.provide(layer({ restart: { maxRestarts: 1 }, onWorker: (w) => pids.push(w.pid) }))
      )
      // The new worker starts from the shipped state (seen = 0) and gets the interrupted item again.
      assert.deepStrictEqual(out, [[1, "a"], [1, "die"], [2, "c"]])
      assert.strictEqual(new Set(pids).size, 2)
      assert.isTrue(existsSync(marker))
    }))

  it.live("without restarts left, the crash is reported", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run([fixture("k", "KillSelf", { on: "die" })], ["die"], { restart: { maxRestarts: 0 } }))
      assert.instanceOf((error as NodeProcessError).cause, WorkerCrashed)
    }))

  it.live("a malformed frame from the worker is a ProtocolError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run([NodeRef.manifestNode("p", "PassThrough")], [1], {
        workerCommand: [join(fixturesDir, "bad_worker.py"), "garbage"]
      }))
      assert.instanceOf(error, NodeInitializeError)
      assert.instanceOf((error).cause, ProtocolError)
    }))

  it.live("a reply announcing more than maxFrameBytes is a ProtocolError naming the size and the cap; the worker is stopped", () =>
    Effect.gen(function*() {
      let pid = 0
      const error = yield* Effect.flip(run([NodeRef.manifestNode("p", "PassThrough")], [1], {
        workerCommand: [join(fixturesDir, "bad_worker.py"), "huge"],
        onWorker: (w) => (pid = w.pid)
      }))
      const cause = (error as NodeInitializeError).cause as ProtocolError
      assert.instanceOf(cause, ProtocolError)
      assert.include(cause.message, "a frame announcing 4294967295 bytes exceeds the limit of 1073741824 bytes (maxFrameBytes)")
      yield* Effect.promise(() => eventually(() => !alive(pid)))
      assert.isFalse(alive(pid))
    }))

  it.live("the worker keeps to maxFrameBytes too: a reply it cannot send fails that batch, a request too large is refused here", () =>
    Effect.gen(function*() {
      const tooLong = yield* Effect.flip(run([fixture("r", "Repeat", { times: 4 })], [new Uint8Array(30_000)], { maxFrameBytes: 65_536 }))
      const py = (tooLong as NodeProcessError).cause as PythonError
      assert.deepStrictEqual([(tooLong as NodeProcessError).nodeId, py.pyType], ["r", "FrameTooLarge"])
      assert.match(py.pyMessage, /a frame of \d+ bytes exceeds the limit of 65536 bytes/)
      const request = yield* Effect.flip(run([fixture("r", "Repeat", { times: 1 })], [new Uint8Array(70_000)], { maxFrameBytes: 65_536 }))
      assert.instanceOf(request, NodeProcessError)
      assert.match(String((request).cause), /a frame of \d+ bytes exceeds the limit of 65536 bytes \(maxFrameBytes\)/)
      assert.deepStrictEqual(yield* run([fixture("r", "Repeat", { times: 2 })], [new Uint8Array(20_000)], { maxFrameBytes: 65_536 }), [
        new Uint8Array(40_000)
      ])
    }))

  it.live("an item over the per-item timeout fails with ItemTimeout naming the item", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const error = yield* Effect.flip(run([fixture("s", "Sleep")], [0, 0.01, 20], { itemTimeoutMs: 300 }))
      const e = error as NodeProcessError
      assert.instanceOf(e.cause, ItemTimeout)
      assert.deepStrictEqual([e.nodeId, e.itemIndex, (e.cause).itemIndex], ["s", 2, 2])
      assert.isBelow(Date.now() - started, 10_000)
    }))

  it.live("a node stuck in C code with the GIL held is stopped by the parent's backstop", () =>
    Effect.gen(function*() {
      let pid = 0
      const error = yield* Effect.flip(run([fixture("g", "HoldGil")], [40], { itemTimeoutMs: 200, onWorker: (w) => (pid = w.pid) }))
      const e = error as NodeProcessError
      assert.instanceOf(e.cause, ItemTimeout)
      assert.isNull((e.cause).itemIndex)
      yield* Effect.promise(() => eventually(() => !alive(pid)))
      assert.isFalse(alive(pid))
    }))

  it.live("stopping while the worker is busy does not hang: a cleanup that cannot be answered in time kills it", () =>
    Effect.gen(function*() {
      let pid = 0
      const started = Date.now()
      const out = yield* Executor.streamPipeline([fixture("s", "Sleep")], Stream.fromIterable([0, 0.3, 30]), { maxBatch: 1 }).pipe(
        Stream.take(2),
        Stream.runCollect,
        Effect.provide(layer({ cleanupTimeoutMs: 500, onWorker: (w) => (pid = w.pid) }))
      )
      assert.deepStrictEqual(out, [0, 0.3])
      assert.isBelow(Date.now() - started, 10_000)
      yield* Effect.promise(() => eventually(() => !alive(pid)))
      assert.isFalse(alive(pid))
    }))

  it.live("a cleanup failure is reported as NodeCleanupError", () =>
    Effect.gen(function*() {
      const dir = tmp()
      writeFileSync(
        join(dir, "bad_cleanup.py"),
        "from remotemedia import Node\nclass BadCleanup(Node):\n    def process(self, x):\n        return x\n    def cleanup(self):\n        if self.is_initialized:\n            raise RuntimeError('cannot release')\n"
      )
      const error = yield* Effect.flip(run([NodeRef.manifestNode("bc", "bad_cleanup:BadCleanup")], [1], {
        env: { PYTHONPATH: dir },
        allowedModules: ["bad_cleanup"]
      }))
      assert.instanceOf(error, NodeCleanupError)
      assert.strictEqual(((error).cause as PythonError).pyMessage, "cannot release")
    }))

  it.live("the worker exits when its parent process dies", () =>
    Effect.promise(async () => {
      const child = spawn(process.execPath, [join(fixturesDir, "parent_exit.mjs"), python, fixturesDir], { stdio: ["ignore", "pipe", "inherit"] })
      let output = ""
      child.stdout.on("data", (d) => (output += String(d)))
      assert.isTrue(await eventually(() => /worker \d+/.test(output), 20_000), "the child never started a worker")
      const pid = Number(/worker (\d+)/.exec(output)![1])
      assert.isTrue(alive(pid))
      child.kill("SIGKILL")
      assert.isTrue(await eventually(() => !alive(pid), 5_000), "the worker outlived its parent")
    }), 30_000)
})

describe("IpcTransport: stopping a run cancels the worker's batch between items", () => {
  // SlowLog takes 0.2 s per item and logs `<name> <event> <pid>` lines: every run below would
  // take 2 s or more if the worker finished its batch before reading the cleanup request.
  const slowLog = (path: string) => fixture("slow", "SlowLog", { path, delay: 0.2 })
  const started = (path: string) => lines(path).filter((l) => l.startsWith("slow process-")).length
  const cleanups = (path: string) => lines(path).filter((l) => l.startsWith("slow cleanup")).length
  const transport = IpcTransport.create(base)
  /** Aborts `controller` 100 ms into the `item`th item's processing (the middle of an item); resolves with when. */
  const abortDuring = async (controller: AbortController, log: string, item = 1): Promise<number> => {
    await eventually(() => started(log) >= item, 20_000)
    await sleep(100)
    controller.abort(new Error("stopped by the test"))
    return performance.now()
  }

  it("an aborted executePipelineWithInput rejects within one item's time (+50 ms) and cleans up once", async () => {
    const log = join(tmp(), "slow.log")
    const controller = new AbortController()
    const run = executePipelineWithInput([slowLog(log)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { transport: await transport, signal: controller.signal })
    const [outcome, abortedAt] = await Promise.all([run.then(() => "resolved", (e: Error) => e.message), abortDuring(controller, log)])
    const elapsed = performance.now() - abortedAt
    assert.strictEqual(outcome, "stopped by the test")
    assert.isBelow(elapsed, 250)
    assert.strictEqual(cleanups(log), 1)
    assert.isAtMost(started(log), 2)
  })

  it("breaking out of streamPipeline while a batch runs leaves the loop within one item's time and cleans up once", async () => {
    const log = join(tmp(), "slow.log")
    async function* input() {
      yield 0
      await sleep(50)
      for (let i = 1; i < 10; i++) yield i // one batch of nine while the first item runs
    }
    let brokeAt = 0
    for await (const out of streamPipeline([slowLog(log)], input(), { transport: await transport })) {
      assert.strictEqual(out, 0)
      await eventually(() => started(log) >= 2, 5_000) // the batch of nine is in the worker
      await sleep(100)
      brokeAt = performance.now()
      break
    }
    assert.isBelow(performance.now() - brokeAt, 250)
    assert.strictEqual(cleanups(log), 1)
    assert.isAtMost(started(log), 3)
  })

  it("an abort while a source's items run through the chain rejects within one item's time and cleans up once", async () => {
    const log = join(tmp(), "slow.log")
    const controller = new AbortController()
    const run = executePipeline([fixture("src", "Source", { count: 64 }), slowLog(log)], { transport: await transport, signal: controller.signal })
    const [outcome, abortedAt] = await Promise.all([run.then(() => "resolved", (e: Error) => e.message), abortDuring(controller, log)])
    assert.strictEqual(outcome, "stopped by the test")
    assert.isBelow(performance.now() - abortedAt, 250)
    assert.strictEqual(cleanups(log), 1)
    assert.isAtMost(started(log), 2)
  })
})

describe("IpcTransport: state, logs, options", () => {
  it.live("returnState ships the worker copy's final state back after cleanup", () =>
    Effect.gen(function*() {
      const states: Array<NodeRef.SerializedInstance> = []
      yield* run([serialized("c", "Counter(start=5, name='c')")], ["a", "b"], { returnState: true, onState: (_, s) => states.push(s) })
      assert.strictEqual(states.length, 1)
      const code = "import sys, pickle; n = pickle.loads(sys.stdin.buffer.read()); print(n.count, n.inits)"
      const printed = execFileSync(python, ["-c", code], { input: states[0]!.bytes, env: { ...process.env, PYTHONPATH: fixturesDir } })
      assert.strictEqual(String(printed).trim(), "7 1")
    }))

  it.live("turns worker stderr into log records, at the level Python logged them", () =>
    Effect.gen(function*() {
      const records: Array<{ level: string; message: string }> = []
      const capture = Logger.make((o) => {
        records.push({ level: o.logLevel, message: String(Array.isArray(o.message) ? o.message[0] : o.message) })
      })
      yield* run([fixture("chatty", "Chatty")], [1], { stderrLogLevel: "Info" }).pipe(
        Effect.provide(Logger.layer([capture])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
      assert.deepInclude(records, { level: "Info", message: "chatty got 1" })
      assert.deepInclude(records, { level: "Warn", message: "WARNING chatty: careful with 1" })
    }))

  it.live("refuses invalid options and a missing interpreter with TransportUnavailable", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Layer.build(IpcTransport.layer({ isolation: "threads" as never })).pipe(Effect.scoped))
      assert.instanceOf(bad, TransportUnavailable)
      assert.match(bad.message, /invalid options/)
      const cap = yield* Effect.flip(Layer.build(IpcTransport.layer({ maxFrameBytes: 2 ** 32 })).pipe(Effect.scoped))
      assert.match(cap.message, /maxFrameBytes/)
      const missing = yield* Effect.flip(Layer.build(IpcTransport.layer({ python: "/no/such/python" })).pipe(Effect.scoped))
      assert.match(missing.message, /\/no\/such\/python .* does not exist/)
    }))

  it.live("finds Python by core's PythonEnvironment precedence: the venv option, then env REMOTEMEDIA_VENV; a wrong one is named", () =>
    Effect.gen(function*() {
      const venv = dirname(dirname(python)) // the tests' interpreter is <venv>/bin/python
      const pass = [NodeRef.manifestNode("p", "PassThrough")]
      assert.deepStrictEqual(yield* run(pass, [1], { python: undefined, venv }), [1])
      const notVenv = yield* Effect.flip(Layer.build(IpcTransport.layer({ venv: tmp() })).pipe(Effect.scoped))
      assert.match(notVenv.message, /is not a virtual environment/)
      const previous = process.env["REMOTEMEDIA_VENV"]
      yield* Effect.gen(function*() {
        process.env["REMOTEMEDIA_VENV"] = venv
        assert.deepStrictEqual(yield* run(pass, [2], { python: undefined }), [2])
        process.env["REMOTEMEDIA_VENV"] = tmp()
        const wrong = yield* Effect.flip(Layer.build(IpcTransport.layer({})).pipe(Effect.scoped))
        assert.match(wrong.message, /\(\$REMOTEMEDIA_VENV\) is not a virtual environment/)
      }).pipe(Effect.ensuring(Effect.sync(() => {
        if (previous === undefined) delete process.env["REMOTEMEDIA_VENV"]
        else process.env["REMOTEMEDIA_VENV"] = previous
      })))
    }))

  it.live("layerConfig reads its options from Config", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromUnknown({ PY: python, ISOLATION: "process-per-node" })
      const workers: Array<IpcTransport.WorkerInfo> = []
      const ipc = IpcTransport.layerConfig({
        python: Config.String("PY"),
        isolation: Config.Literals(["fused", "process-per-node"], "ISOLATION"),
        env: Config.succeed({ PYTHONPATH: fixturesDir }),
        allowedModules: Config.succeed(["ipc_test_nodes"]),
        onWorker: Config.succeed((w: IpcTransport.WorkerInfo) => void workers.push(w))
      })
      const out = yield* Executor.executePipelineWithInput([fixture("a", "Counter"), fixture("b", "TypeName")], ["x"]).pipe(
        Effect.provide(ipc),
        Effect.provide(ConfigProvider.layer(provider))
      )
      assert.deepStrictEqual(out, ["list"])
      assert.strictEqual(workers.length, 2)
    }))

  it.live("is selected by the name 'ipc', with options from the config file", () =>
    Effect.gen(function*() {
      const config = join(tmp(), "remotemedia.config.json")
      writeFileSync(config, JSON.stringify({ transport: "ipc", transportOptions: { ...base, stderrLogLevel: "Debug" } }))
      const out = yield* Executor.executePipelineWithInput([fixture("c", "Counter")], ["x"], { configFile: config })
      assert.deepStrictEqual(out, [[1, "x"]])
    }))
})
