// Graph pipelines on TypeScript nodes: fan-out, fan-in, diamonds, several sources and sinks, errors, abort, metrics, streaming backpressure.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { Executor, InvalidPipelineInput, NodeProcessError, Pipeline, streamPipeline } from "../src/index.js"
import * as PromiseApi from "../src/PromiseApi.js"
import type { RuntimeData } from "../src/RuntimeData.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A TS node that records its lifecycle into `log`. */
const logged = (log: Array<string>, id: string, process: (x: never) => unknown) => ({
  id,
  initialize: () => void log.push(`${id} initialize`),
  process,
  cleanup: () => void log.push(`${id} cleanup`)
})

const count = (log: ReadonlyArray<string>, line: string) => log.filter((l) => l === line).length

describe("Pipeline.graph", () => {
  it.effect("rejects a cycle naming its nodes, and every connection naming an unknown node", () =>
    Effect.gen(function*() {
      const nodes = ["a", "b", "c"].map((id) => ({ id, process: (x: unknown) => x }))
      const cycle = yield* Effect.flip(Pipeline.graph(nodes, [{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "c", to: "b" }]))
      assert.instanceOf(cycle, InvalidPipelineInput)
      assert.include(cycle.message, "cycle: 'b' -> 'c' -> 'b'")
      const unknown = yield* Effect.flip(Pipeline.graph(nodes, [{ from: "a", to: "nope" }, { from: "ghost", to: "c" }]))
      assert.deepStrictEqual(unknown.issues.map((i) => [i.position, i.reason]), [
        [0, "connection to unknown node 'nope'"],
        [1, "connection from unknown node 'ghost'"]
      ])
    }))

  it.effect("rejects a connection into a source node, naming both", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Pipeline.graph(
        [{ id: "a", process: (x: unknown) => x }, { id: "src", isSource: true, process: () => 1 }],
        [{ from: "a", to: "src" }]
      ))
      assert.include(error.message, "source node 'src' takes no input, but a connection from 'a' leads into it")
    }))

  it.effect("a Pipeline value with bad connections is rejected by every entry point", () =>
    Effect.gen(function*() {
      const pipeline: Pipeline.Pipeline = {
        _tag: "Pipeline",
        name: "hand-made",
        nodes: [{ id: "a", ref: { process: (x: unknown) => x } }],
        connections: [{ from: "a", to: "a" }]
      }
      const error = yield* Effect.flip(Executor.executePipelineWithInput(pipeline, [1]))
      assert.instanceOf(error, InvalidPipelineInput)
      assert.include(error.message, "'a' is connected to itself")
    }))
})

describe("Executor on graphs (collected runs)", () => {
  it.effect("fan-out: every successor receives every output; several sinks come back by node id", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "vad", process: (x: number) => x * 10 },
        { id: "asr1", process: (x: number) => `one:${x}` },
        { id: "asr2", *process(x: number) { yield `two:${x}`; yield `two:${x}!` } }
      ], [{ from: "vad", to: "asr1" }, { from: "vad", to: "asr2" }])
      const out = yield* Executor.executePipelineWithInput(p, [1, 2])
      assert.deepStrictEqual(out, { asr1: ["one:10", "one:20"], asr2: ["two:10", "two:10!", "two:20", "two:20!"] })
    }))

  it.effect("fan-in concatenates predecessors' outputs in connection order, whichever finishes first", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const p = yield* Pipeline.graph([
        { id: "mix", process: (x: string) => (seen.push(x), x) },
        { id: "slow", process: async (x: number) => (await sleep(5), `slow${x}`) },
        { id: "fast", process: (x: number) => `fast${x}` }
      ], [{ from: "slow", to: "mix" }, { from: "fast", to: "mix" }])
      const out = yield* Executor.executePipelineWithInput(p, [1, 2, 3])
      assert.deepStrictEqual(out, ["slow1", "slow2", "slow3", "fast1", "fast2", "fast3"], "two sources each got the input; one sink: an array")
      assert.deepStrictEqual(seen, out)
    }))

  it.effect("a diamond: both branches see every item, the join gets the first branch's outputs then the second's", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "split", process: (x: number) => x },
        { id: "double", process: (x: number) => x * 2 },
        { id: "negate", process: (x: number) => -x },
        { id: "join", process: (x: number) => `j${x}` }
      ], [{ from: "split", to: "negate" }, { from: "split", to: "double" }, { from: "double", to: "join" }, { from: "negate", to: "join" }])
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(p, [1, 2]), ["j2", "j4", "j-1", "j-2"])
    }))

  it.effect("two sources and two sinks; without input, nodes without incoming connections get \"\" unless they are sources", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "numbers", isSource: true, *process() { yield 1; yield 2 } },
        { id: "greeting", process: (x: string) => `hello${x}` },
        { id: "sum", process: (x: number | string) => `sum:${x}` },
        { id: "echo", process: (x: number) => x }
      ], [{ from: "numbers", to: "sum" }, { from: "greeting", to: "sum" }, { from: "numbers", to: "echo" }])
      const out = yield* Executor.executePipeline(p)
      assert.deepStrictEqual(out, { sum: ["sum:1", "sum:2", "sum:hello"], echo: [1, 2] })
    }))

  it.effect("caller input needs a node without incoming connections that is not a source", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "a", isSource: true, process: () => 1 },
        { id: "b", process: (x: number) => x },
        { id: "c", process: (x: number) => x }
      ], [{ from: "a", to: "b" }, { from: "a", to: "c" }])
      const error = yield* Effect.flip(Executor.executePipelineWithInput(p, [1]))
      assert.instanceOf(error, InvalidPipelineInput)
      assert.include(error.message, "source node")
    }))

  it.effect("connections forming one chain run as that chain, whatever the node order", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "last", process: (x: number) => `v${x}` },
        { id: "first", process: (x: number) => x + 1 }
      ], [{ from: "first", to: "last" }])
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(p, [1, 2]), ["v2", "v3"])
    }))

  it.effect("a failure in one branch fails the run with NodeProcessError naming the node; every node cleaned up once", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const p = yield* Pipeline.graph([
        logged(log, "in", (x: number) => x),
        logged(log, "ok", (x: number) => x),
        logged(log, "bad", (x: number) => {
          if (x === 3) throw new Error("branch broke")
          return x
        }),
        logged(log, "out", (x: number) => x)
      ], [{ from: "in", to: "ok" }, { from: "in", to: "bad" }, { from: "ok", to: "out" }, { from: "bad", to: "out" }])
      const error = yield* Effect.flip(Executor.executePipelineWithInput(p, [1, 2, 3, 4]))
      assert.instanceOf(error, NodeProcessError)
      assert.strictEqual(error.nodeId, "bad")
      assert.strictEqual(error.itemIndex, 2)
      for (const id of ["in", "ok", "bad", "out"]) {
        assert.strictEqual(count(log, `${id} initialize`), 1, id)
        assert.strictEqual(count(log, `${id} cleanup`), 1, id)
      }
    }))

  it.effect("reports metrics per node on a graph", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "src", process: (x: number) => x },
        { id: "twice", *process(x: number) { yield x; yield x } },
        { id: "odd", process: (x: number) => (x % 2 === 1 ? x : null) },
        { id: "sink", process: (x: number) => x }
      ], [{ from: "src", to: "twice" }, { from: "src", to: "odd" }, { from: "twice", to: "sink" }, { from: "odd", to: "sink" }])
      const { metrics, outputs } = yield* Executor.executePipelineWithInput(p, [1, 2, 3], { metrics: true })
      assert.deepStrictEqual(outputs, [1, 1, 2, 2, 3, 3, 1, 3])
      const byId = Object.fromEntries(metrics.nodes.map((n) => [n.nodeId, [n.itemsIn, n.itemsOut, n.errors]]))
      assert.deepStrictEqual(byId, { src: [3, 3, 0], twice: [3, 6, 0], odd: [3, 2, 0], sink: [8, 8, 0] })
    }))
})

describe("Executor on graphs (streams and the Promise API)", () => {
  it("merges fan-in in arrival order", async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const p = await Effect.runPromise(Pipeline.graph([
      { id: "held", process: async (x: number) => (await gate, `held${x}`) },
      { id: "quick", process: (x: number) => `quick${x}` },
      { id: "merge", process: (x: string) => x }
    ], [{ from: "held", to: "merge" }, { from: "quick", to: "merge" }]))
    const got: Array<RuntimeData> = []
    for await (const item of streamPipeline(p, [1, 2])) {
      got.push(item)
      if (got.length === 2) release()
    }
    assert.deepStrictEqual(got, ["quick1", "quick2", "held1", "held2"])
  })

  it("a slow branch bounds how far the input is read ahead (backpressure from the slowest successor)", async () => {
    let produced = 0
    const input = {
      *[Symbol.iterator]() {
        for (let i = 0; i < 1000; i++) {
          produced++
          yield i
        }
      }
    }
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const p = await Effect.runPromise(Pipeline.graph([
      { id: "in", process: (x: number) => x },
      { id: "fast", process: (x: number) => x },
      { id: "slow", process: async (x: number) => (await gate, -x) }
    ], [{ from: "in", to: "fast" }, { from: "in", to: "slow" }]))
    let fast = 0
    let slow = 0
    const run = (async () => {
      for await (const item of streamPipeline(p, input, { bufferSize: 4 })) {
        if ((item as number) > 0 || Object.is(item, 0)) fast++
        else slow++
      }
    })()
    // Wait (watchdogs, not assertions) for the fast branch's first output, then until reading stops while the slow branch is held.
    while (fast === 0) await sleep(10)
    let last = -1
    while (produced !== last) {
      last = produced
      await sleep(100)
    }
    // queues of 4 before and after each stage and fan-out, batches of at most 4 in flight, one input chunk of 4
    assert.isAtMost(produced, 40, "items read while the slow branch holds")
    assert.isAtMost(fast, produced)
    release()
    await run
    assert.deepStrictEqual([produced, fast, slow], [1000, 1000, 1000])
  })

  it("several sinks stream merged in arrival order", async () => {
    const p = await Effect.runPromise(Pipeline.graph([
      { id: "in", process: (x: number) => x },
      { id: "a", process: (x: number) => `a${x}` },
      { id: "b", process: (x: number) => `b${x}` }
    ], [{ from: "in", to: "a" }, { from: "in", to: "b" }]))
    const got: Array<RuntimeData> = []
    for await (const item of streamPipeline(p, [1, 2, 3])) got.push(item)
    assert.sameMembers(got as Array<string>, ["a1", "a2", "a3", "b1", "b2", "b3"])
    assert.deepStrictEqual(got.filter((x) => (x as string).startsWith("a")), ["a1", "a2", "a3"], "order within a sink kept")
  })

  it("an abort mid-run cleans up every node of a graph once, then rejects with the reason", async () => {
    const log: Array<string> = []
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const p = await Effect.runPromise(Pipeline.graph([
      logged(log, "in", (x: number) => x),
      logged(log, "stuck", (x: number) => {
        started()
        return new Promise(() => x)
      }),
      logged(log, "other", (x: number) => x),
      logged(log, "join", (x: number) => x)
    ], [{ from: "in", to: "stuck" }, { from: "in", to: "other" }, { from: "stuck", to: "join" }, { from: "other", to: "join" }]))
    const controller = new AbortController()
    const result = PromiseApi.executePipelineWithInput(p, [1, 2, 3], { signal: controller.signal })
    await running
    controller.abort(new Error("stop"))
    const error = await result.then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, Error)
    assert.strictEqual((error).message, "stop")
    for (const id of ["in", "stuck", "other", "join"]) {
      assert.strictEqual(count(log, `${id} initialize`), 1, id)
      assert.strictEqual(count(log, `${id} cleanup`), 1, id)
    }
  })

  it.effect("the Effect stream of a graph fails with a branch's error after the outputs before it", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.graph([
        { id: "in", process: (x: number) => x },
        { id: "fine", process: (x: number) => x },
        { id: "fails", process: (x: number) => {
          if (x === 2) throw new Error("no")
          return x
        } }
      ], [{ from: "in", to: "fine" }, { from: "in", to: "fails" }])
      const error = yield* Effect.flip(Stream.runCollect(Executor.streamPipeline(p, Stream.fromIterable([1, 2, 3]))))
      assert.instanceOf(error, NodeProcessError)
      assert.strictEqual(error.nodeId, "fails")
    }))
})
