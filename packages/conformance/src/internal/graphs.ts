// Scenarios: graph pipelines of Python nodes — fan-out, fan-in, diamond, sources and sinks, rejections, errors, interruption, metrics, streaming.
import { assert } from "@effect/vitest"
import { Executor, ManifestError, NodeProcessError, Pipeline } from "@remotemedia/core"
import { Effect, Fiber, Stream } from "effect"
import { lifecycleLog } from "../PythonFixtures.js"
import type { Capabilities, Register } from "../TransportSuite.js"
import { assertLifecycle, waitFor } from "./helpers.js"

type Spec = { readonly id: string; readonly node_type: string; readonly params?: Record<string, unknown> }

const manifest = (nodes: ReadonlyArray<Spec>, connections: ReadonlyArray<readonly [string, string]>) => ({
  version: "v1",
  metadata: { name: "graph" },
  nodes,
  connections: connections.map(([from, to]) => ({ from, to }))
})

const scale = (id: string, factor: number): Spec => ({ id, node_type: "FixtureScale", params: { factor } })
const pass = (id: string): Spec => ({ id, node_type: "PassThrough" })

export const graphs = (test: Register, capabilities: Capabilities): void => {
  test("fan-out: every branch gets every output; several sinks by node id (upstream's JavaScript dialect)", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput(
        JSON.stringify({
          version: "1.0",
          metadata: { name: "fan-out" },
          nodes: [
            { id: "vad", nodeType: "PassThrough" },
            { id: "double", nodeType: "FixtureScale", params: { factor: 2 } },
            { id: "triple", nodeType: "FixtureScale", params: { factor: 3 }, isStreaming: false }
          ],
          connections: [{ from: "vad", to: "double" }, { from: "vad", to: "triple" }]
        }),
        [1, 2, 3]
      )
      assert.deepStrictEqual(out, { double: [2, 4, 6], triple: [3, 6, 9] })
    }))

  test("fan-in: two input nodes into one, predecessors' outputs concatenated in connection order", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput(
        manifest([pass("mix"), scale("tens", 10), scale("hundreds", 100)], [["hundreds", "mix"], ["tens", "mix"]]),
        [1, 2]
      )
      assert.deepStrictEqual(out, [100, 200, 10, 20])
    }))

  test("a diamond with a chain of Python nodes on one branch and a generator on the other", () =>
    Effect.gen(function*() {
      const { metrics, outputs } = yield* Executor.executePipelineWithInput(
        manifest(
          [pass("split"), scale("b1", 2), scale("b2", 5), { id: "expand", node_type: "FixtureExpand" }, pass("join")],
          [["split", "b1"], ["b1", "b2"], ["split", "expand"], ["b2", "join"], ["expand", "join"]]
        ),
        [1, 2],
        { metrics: true }
      )
      assert.deepStrictEqual(outputs, [10, 20, 10, 20, 21])
      // Every node has metrics; a transport may fuse the chain b1 -> b2 (and only it) into one stage.
      const stages = metrics.nodes.map((n) => n.nodeId.split("+"))
      assert.sameMembers([...new Set(stages.flat())], ["split", "b1", "b2", "expand", "join"])
      for (const fused of stages.filter((s) => s.length > 1)) assert.deepStrictEqual(fused, ["b1", "b2"])
      const byId = Object.fromEntries(metrics.nodes.map((n) => [n.nodeId, [n.itemsIn, n.itemsOut]]))
      assert.deepStrictEqual(byId["split"], [2, 2])
      assert.deepStrictEqual(byId["expand"], [2, 3])
      assert.deepStrictEqual(byId["join"], [5, 5])
      assert.deepStrictEqual(byId["b1+b2"] ?? byId["b2"], [2, 2])
    }))

  test("two Python sources and two sinks, without caller input", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipeline(manifest([
        { id: "low", node_type: "FixtureRangeSource", params: { count: 2 } },
        { id: "high", node_type: "FixtureRangeSource", params: { count: 2, start: 10 } },
        scale("both", 1),
        pass("echo")
      ], [["low", "both"], ["high", "both"], ["high", "echo"]]))
      assert.deepStrictEqual(out, { both: [0, 1, 10, 11], echo: [10, 11] })
    }))

  test("a cycle is rejected naming its nodes, and a connection to an unknown node naming it, before anything runs", () =>
    Effect.gen(function*() {
      const log = lifecycleLog()
      const node = (id: string): Spec => ({ id, node_type: "FixtureLifecycle", params: { log_path: log.path } })
      const cycle = yield* Effect.flip(
        Executor.executePipelineWithInput(manifest([node("a"), node("b"), node("c")], [["a", "b"], ["b", "c"], ["c", "b"]]), [1])
      )
      assert.instanceOf(cycle, ManifestError)
      assert.include(cycle.message, "cycle: 'b' -> 'c' -> 'b'")
      const unknown = yield* Effect.flip(Executor.executePipelineWithInput(manifest([node("a")], [["a", "ghost"]]), [1]))
      assert.instanceOf(unknown, ManifestError)
      assert.strictEqual(unknown.path, "connections[0].to")
      assert.include(unknown.message, "'ghost'")
      assert.deepStrictEqual(log.events(), [])
    }))

  test("a Python failure in one branch fails the run with NodeProcessError naming the node; every node cleaned up once", () =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const node = (id: string, type = "FixtureLifecycle", params: Record<string, unknown> = {}): Spec => ({
        id,
        node_type: type,
        params: { log_path: log.path, ...params }
      })
      const error = yield* Effect.flip(Executor.executePipelineWithInput(
        manifest([node("in"), node("ok"), node("bad", "FixtureFailAt", { fail_at: 1 }), node("out")], [
          ["in", "ok"],
          ["in", "bad"],
          ["ok", "out"],
          ["bad", "out"]
        ]),
        [1, 2, 3]
      ))
      assert.instanceOf(error, NodeProcessError)
      assert.strictEqual(error.nodeId, "bad")
      assert.strictEqual(error.itemIndex, 1)
      for (const id of ["in", "ok", "bad", "out"]) assertLifecycle(log, id, { initialize: 1, cleanup: 1 })
    }))

  test("interrupting a graph run mid-item cleans up every node once", () =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const node = (id: string) => ({ id, node_type: "FixtureLifecycle", params: { log_path: log.path } })
      let held = 0
      let cleanedUp = 0
      const pipeline = yield* Pipeline.graph([
        node("in"),
        node("py"),
        { id: "hold", process: () => (held++, new Promise<never>(() => {})), cleanup: () => void cleanedUp++ },
        node("join")
      ], [{ from: "in", to: "py" }, { from: "in", to: "hold" }, { from: "py", to: "join" }, { from: "hold", to: "join" }])
      const fiber = yield* Effect.forkChild(Executor.executePipelineWithInput(pipeline, [1, 2, 3]))
      yield* waitFor("the TypeScript branch to hold an item", () => held > 0 && log.count("py", "process") === 3)
      yield* Fiber.interrupt(fiber)
      for (const id of ["in", "py", "join"]) assertLifecycle(log, id, { initialize: 1, cleanup: 1 })
      assert.strictEqual(cleanedUp, 1)
    }))

  test("streaming: fan-in merges in arrival order, and a held branch bounds how far the input is read", () =>
    Effect.gen(function*() {
      let produced = 0
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      const pipeline = yield* Pipeline.graph([
        pass("in"),
        scale("py", 2),
        { id: "held", process: async (x: number) => (await gate, -x) },
        pass("merge")
      ], [{ from: "in", to: "py" }, { from: "in", to: "held" }, { from: "py", to: "merge" }, { from: "held", to: "merge" }])
      const input = Stream.fromIterable(Array.from({ length: 500 }, (_, i) => i + 1)).pipe(
        Stream.rechunk(4),
        Stream.tap(() => Effect.sync(() => produced++))
      )
      const got: Array<number> = []
      const fiber = yield* Effect.forkChild(
        Stream.runForEach(Executor.streamPipeline(pipeline, input, { bufferSize: 4 }), (x) => Effect.sync(() => got.push(x as number)))
      )
      // Read until everything waits on the held branch (watchdogs on progress, not timing assertions).
      yield* waitFor("the other branch's first output", () => got.length > 0)
      let last = -1
      while (produced !== last) {
        last = produced
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 200)))
      }
      assert.isAtMost(produced, 60, "items read while one branch holds")
      assert.isTrue(got.every((x) => x > 0), "the other branch's outputs arrive first")
      release()
      yield* Fiber.join(fiber)
      assert.strictEqual(produced, 500)
      assert.deepStrictEqual(got.filter((x) => x > 0), Array.from({ length: 500 }, (_, i) => (i + 1) * 2))
      assert.deepStrictEqual(got.filter((x) => x < 0), Array.from({ length: 500 }, (_, i) => -(i + 1)))
    }))
}
