// Scenarios: 0..N outputs (None, lists, generators, coroutines), Python sources, streaming and early stops.
import { assert } from "@effect/vitest"
import { Executor, InvalidPipelineInput, type Transport } from "@remotemedia/core"
import { Effect, Stream } from "effect"
import { lifecycleLog } from "../PythonFixtures.js"
import type { Capabilities, Register } from "../TransportSuite.js"
import { assertLifecycle, py, waitFor } from "./helpers.js"

export const outputs = (test: Register): void => {
  test("None is no output; a list is one output", (fx) =>
    Effect.gen(function*() {
      const even = yield* py(() => fx.make("FixtureKeepEven"))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([even], [1, 2, 3, 4]), [2, 4])
      const echo = yield* py(() => fx.make("FixtureEcho"))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([echo], [[1, 2], []]), [[1, 2], []])
    }))

  test("generators and async generators yield any number of outputs per item, in order", (fx) =>
    Effect.gen(function*() {
      const expand = yield* py(() => fx.make("FixtureExpand"))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([expand], [0, 1, 2]), [10, 20, 21])
      const asyncExpand = yield* py(() => fx.make("FixtureAsyncExpand"))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([asyncExpand], [2, 0, 1]), [20, 21, 10])
    }))

  test("coroutine process methods", (fx) =>
    Effect.gen(function*() {
      const scale = yield* py(() => fx.make("FixtureAsyncScale", { factor: 3 }))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([scale], [1, 2, 5]), [3, 6, 15])
    }))

  test("fan-out in Python then TypeScript then Python keeps order across batches", (fx) =>
    Effect.gen(function*() {
      const expand = yield* py(() => fx.make("FixtureExpand", { name: "expand" }))
      const scale = yield* py(() => fx.make("FixtureAsyncScale", { name: "scale", factor: 2 }))
      const items = Array.from({ length: 30 }, (_, i) => i % 4)
      const out = yield* Executor.executePipelineWithInput([expand, { id: "inc", process: (x: number) => x + 1 }, scale], items, {
        maxBatch: 3,
        bufferSize: 2
      })
      const expected = items.flatMap((n) => Array.from({ length: n }, (_, i) => (n * 10 + i + 1) * 2))
      assert.deepStrictEqual(out, expected)
    }))

  test("a Python source node produces the items of executePipeline, sync or async", (fx) =>
    Effect.gen(function*() {
      const sync = yield* py(() => fx.make("FixtureRangeSource", { name: "src", count: 5 }))
      assert.deepStrictEqual(yield* Executor.executePipeline([sync]), [0, 1, 2, 3, 4])
      const async = yield* py(() => fx.make("FixtureAsyncRangeSource", { name: "asrc", count: 3, start: 7 }))
      assert.deepStrictEqual(yield* Executor.executePipeline([async]), [7, 8, 9])
    }))

  test("a manifest source feeds Python and TypeScript nodes", (fx) =>
    Effect.gen(function*() {
      const scale = yield* py(() => fx.make("FixtureScale", { factor: 10 }))
      const out = yield* Executor.executePipeline([
        { id: "src", node_type: "FixtureRangeSource", params: { count: 4 } },
        scale,
        { id: "inc", process: (x: number) => x + 1 }
      ])
      assert.deepStrictEqual(out, [1, 11, 21, 31])
    }))

  test("a long source arrives complete and in order", (fx) =>
    Effect.gen(function*() {
      const src = yield* py(() => fx.make("FixtureRangeSource", { name: "src", count: 10_000 }))
      const out = yield* Executor.executePipeline([src])
      assert.strictEqual(out.length, 10_000)
      assert.isTrue(out.every((v, i) => v === i))
    }))

  test("a source given caller input is rejected", (fx) =>
    Effect.gen(function*() {
      const src = yield* py(() => fx.make("FixtureRangeSource", { name: "src" }))
      assert.instanceOf(yield* Effect.flip(Executor.executePipelineWithInput([src], [1])), InvalidPipelineInput)
    }))
}

export const streaming = (test: Register, capabilities: Capabilities): void => {
  test("streamPipeline maps a stream of items as they arrive", (fx) =>
    Effect.gen(function*() {
      const scale = yield* py(() => fx.make("FixtureScale", { factor: 2 }))
      const out = yield* Stream.runCollect(Executor.streamPipeline([scale], Stream.fromIterable([1, 2, 3, 4, 5])))
      assert.deepStrictEqual(out, [2, 4, 6, 8, 10])
    }))

  test("stopping a stream early over endless input cleans up every node", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const rec = yield* py(() => fx.make("FixtureLifecycle", { name: "rec", log_path: log.path }))
      const scale = yield* py(() => fx.make("FixtureScale", { factor: 2 }))
      const endless = Stream.iterate(0, (n) => n + 1)
      const out = yield* Stream.runCollect(Stream.take(Executor.streamPipeline([rec, scale], endless), 3))
      assert.deepStrictEqual(out, [0, 2, 4])
      yield* waitFor("rec's cleanup", () => log.count("rec", "cleanup") === 1)
      assertLifecycle(log, "rec", { initialize: 1, cleanup: 1 })
    }))

  test("breaking out of a for-await loop closes the source and cleans up", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const src = yield* py(() => fx.make("FixtureRangeSource", { name: "src", count: 1_000_000_000, log_path: log.path }))
      const rec = yield* py(() => fx.make("FixtureLifecycle", { name: "rec", log_path: log.path }))
      const context = yield* Effect.context<Transport.Transport>()
      const iterable = Stream.toAsyncIterable(Stream.provideContext(Executor.streamPipeline([src, rec]), context))
      const got = yield* py(async () => {
        const seen: Array<unknown> = []
        for await (const v of iterable) {
          seen.push(v)
          if (seen.length === 3) break
        }
        return seen
      })
      assert.deepStrictEqual(got, [0, 1, 2])
      yield* waitFor("cleanup of both nodes", () => log.count("src", "cleanup") === 1 && log.count("rec", "cleanup") === 1)
      assert.strictEqual(log.count("src", "closed"), 1)
      assert.strictEqual(log.count("src", "finished"), 0)
      assertLifecycle(log, "src", { initialize: 1, cleanup: 1 })
      assertLifecycle(log, "rec", { initialize: 1, cleanup: 1 })
    }))
}
