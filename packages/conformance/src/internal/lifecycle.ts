// Scenarios: lifecycle counts on every path, validation of Python objects (FR-010), errors.
import { assert } from "@effect/vitest"
import {
  Executor,
  InvalidPipelineInput,
  NodeCleanupError,
  NodeInitializeError,
  NodeProcessError
} from "@remotemedia/core"
import { Effect, Stream } from "effect"
import { lifecycleLog } from "../PythonFixtures.js"
import type { Capabilities, Register } from "../TransportSuite.js"
import { assertLifecycle, assertPythonError, py } from "./helpers.js"

export const lifecycle = (test: Register, capabilities: Capabilities): void => {
  test("initializes each node once before its first item and cleans it up once after its last", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const inst = yield* py(() => fx.make("FixtureLifecycle", { name: "inst", log_path: log.path }))
      const asyncInst = yield* py(() => fx.make("FixtureAsyncLifecycle", { name: "async", log_path: log.path }))
      const out = yield* Executor.executePipelineWithInput(
        [inst, { id: "man", node_type: "FixtureLifecycle", params: { log_path: log.path } }, asyncInst],
        [1, 2, 3],
        { maxBatch: 2 }
      )
      assert.deepStrictEqual(out, [1, 2, 3])
      for (const node of ["inst", "man", "async"]) {
        assertLifecycle(log, node, { initialize: 1, process: 3, cleanup: 1 })
        const mine = log.eventsOf(node)
        assert.strictEqual(mine[0], "initialize")
        assert.strictEqual(mine.at(-1), "cleanup")
      }
    }))

  test("cleans up every node once when a node fails on an item", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const first = yield* py(() => fx.make("FixtureLifecycle", { name: "first", log_path: log.path }))
      const fails = yield* py(() => fx.make("FixtureFailAt", { name: "fails", fail_at: 1, log_path: log.path }))
      const error = yield* Effect.flip(Executor.executePipelineWithInput([first, fails], [1, 2, 3]))
      assert.instanceOf(error, NodeProcessError)
      assertLifecycle(log, "first", { initialize: 1, cleanup: 1 })
      assertLifecycle(log, "fails", { initialize: 1, cleanup: 1 })
    }))

  test("a failing initialize fails the run and cleans up the nodes initialized before it", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const before = yield* py(() => fx.make("FixtureLifecycle", { name: "before", log_path: log.path }))
      const broken = yield* py(() =>
        fx.make("FixtureFailInitialize", { name: "broken", message: "weights missing", log_path: log.path })
      )
      const after = yield* py(() => fx.make("FixtureLifecycle", { name: "after", log_path: log.path }))
      const error = yield* Effect.flip(Executor.executePipelineWithInput([before, broken, after], [1]))
      assert.instanceOf(error, NodeInitializeError)
      assert.strictEqual((error).nodeId, "broken_1")
      assertPythonError((error).cause, "RuntimeError", { message: "weights missing" })
      assertLifecycle(log, "before", { initialize: 1, process: 0, cleanup: 1 })
      assertLifecycle(log, "broken", { initialize: 1, process: 0, cleanup: 0 })
      assert.strictEqual(log.count("after", "initialize"), log.count("after", "cleanup"))
    }))

  test("a failing cleanup after a successful run fails it with NodeCleanupError", (fx) =>
    Effect.gen(function*() {
      const leaky = yield* py(() => fx.make("FixtureFailCleanup", { name: "leaky" }))
      const error = yield* Effect.flip(Executor.executePipelineWithInput([leaky], [1]))
      assert.instanceOf(error, NodeCleanupError)
      assert.strictEqual((error).nodeId, "leaky_0")
      assertPythonError((error).cause, "RuntimeError", { message: "cannot release" })
    }))

  test("a manifest node of an unknown type fails with NodeInitializeError naming the type", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([{ id: "mystery", node_type: "NoSuchNodeType", params: {} }], [1])
      )
      assert.instanceOf(error, NodeInitializeError)
      assert.strictEqual((error).nodeId, "mystery")
      assert.include(error.message, "NoSuchNodeType")
    }))

  // Scenarios that inspect the caller's own objects afterwards: skipped (and reported) where instances are shipped.
  const ownObjects: Register = (title, body) => test(title, body, ["sharesCallerObjects"])

  ownObjects("the caller's instance counts one initialize and one cleanup, on success and on failure", (fx) =>
    Effect.gen(function*() {
      const ok = yield* py(() => fx.make("FixtureLifecycle", { name: "ok" }))
      yield* Executor.executePipelineWithInput([ok], [1, 2, 3])
      assert.deepStrictEqual(
        [yield* py(() => fx.get(ok, "initialized")), yield* py(() => fx.get(ok, "processed")), yield* py(() => fx.get(ok, "cleaned_up"))],
        [1, 3, 1]
      )
      const fails = yield* py(() => fx.make("FixtureFailAt", { name: "fails", fail_at: 0 }))
      yield* Effect.flip(Executor.executePipelineWithInput([fails], [1, 2]))
      assert.deepStrictEqual(
        [yield* py(() => fx.get(fails, "initialized")), yield* py(() => fx.get(fails, "cleaned_up"))],
        [1, 1]
      )
    }))
}

export const validation = (test: Register, capabilities: Capabilities): void => {
  test("an object without process() is rejected before anything runs, naming the node", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const ok = yield* py(() => fx.make("FixtureLifecycle", { name: "ok", log_path: log.path }))
      const broken = yield* py(() => fx.make("NotANode", { name: "broken" }))
      const error = yield* Effect.flip(Executor.executePipelineWithInput([ok, broken], [1]))
      assert.instanceOf(error, InvalidPipelineInput)
      assert.include(error.message, "'broken'")
      assert.include(error.message, "process()")
      assert.deepStrictEqual(log.events(), [])
    }))

  test("Python values that are not nodes are rejected naming their type", (fx) =>
    Effect.gen(function*() {
      const cases = [
        [yield* py(() => fx.python.eval("42")), "int"],
        [yield* py(() => fx.python.eval("{'node_type': 'PassThrough'}")), "dict"],
        [yield* py(() => fx.module.get("FixtureEcho")), "is a class"]
      ] as const
      for (const [value, fragment] of cases) {
        const error = yield* Effect.flip(Executor.executePipelineWithInput([value], [1]))
        assert.instanceOf(error, InvalidPipelineInput)
        assert.include(error.message, fragment)
      }
    }))

  test("an object with process() and initialize() runs even when it is not a remotemedia Node", (fx) =>
    Effect.gen(function*() {
      const duck = yield* py(() => fx.make("DuckNode", { name: "duck" }))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([duck], [1, "a"]), ["quack:1", "quack:a"])
    }))
}

export const errors = (test: Register, capabilities: Capabilities): void => {
  test("a Python exception fails the run with NodeProcessError carrying the PythonError and its traceback", (fx) =>
    Effect.gen(function*() {
      const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
      const fails = yield* py(() => fx.make("FixtureFailAt", { name: "fails", fail_at: 2, log_path: log.path }))
      const error = yield* Effect.flip(Executor.executePipelineWithInput([fails], [10, 20, 30, 40]))
      assert.instanceOf(error, NodeProcessError)
      const e = error
      assert.strictEqual(e.nodeId, "fails_0")
      assert.strictEqual(e.itemIndex, 2)
      assertPythonError(e.cause, "ValueError", {
        message: "fixture failure at item 2",
        traceback: ["fail_deep_inside", "in process"]
      })
      assertLifecycle(log, "fails", { initialize: 1, cleanup: 1 })
    }))

  test("outputs produced before the failure are delivered first", (fx) =>
    Effect.gen(function*() {
      const fails = yield* py(() => fx.make("FixtureFailAt", { name: "fails", fail_at: 2 }))
      const got: Array<unknown> = []
      const error = yield* Effect.flip(
        Stream.runForEach(
          Executor.streamPipeline([fails], Stream.fromIterable([10, 20, 30, 40])),
          (v) => Effect.sync(() => got.push(v))
        )
      )
      assert.deepStrictEqual(got, [10, 20])
      assert.instanceOf(error, NodeProcessError)
    }))

  test("the failing item's index counts across batches", (fx) =>
    Effect.gen(function*() {
      const fails = yield* py(() => fx.make("FixtureFailAt", { name: "fails", fail_at: 5 }))
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([fails], Array.from({ length: 10 }, (_, i) => i), { maxBatch: 2 })
      )
      assert.strictEqual((error as NodeProcessError).itemIndex, 5)
    }))

  test("a failing source delivers its items, then fails with the index of the failing item", (fx) =>
    Effect.gen(function*() {
      for (const cls of ["FixtureRangeSource", "FixtureAsyncRangeSource"]) {
        const log = lifecycleLog({ shipped: !capabilities.sharesCallerObjects })
        const src = yield* py(() => fx.make(cls, { name: "src", count: 10, fail_at: 3, log_path: log.path }))
        const got: Array<unknown> = []
        const error = yield* Effect.flip(
          Stream.runForEach(Executor.streamPipeline([src]), (v) => Effect.sync(() => got.push(v)))
        )
        assert.deepStrictEqual(got, [0, 1, 2], cls)
        assert.instanceOf(error, NodeProcessError)
        assert.strictEqual((error).itemIndex, 3)
        assertPythonError((error).cause, "ValueError", { traceback: ["fail_deep_inside"] })
        assertLifecycle(log, "src", { initialize: 1, cleanup: 1 })
      }
    }))
}
