// Scenarios: stateful instances, chains, mixed pipelines in every order, Python Pipeline objects.
import { assert } from "@effect/vitest"
import { Executor } from "@remotemedia/core"
import { Effect } from "effect"
import type { Register } from "../TransportSuite.js"
import { permutations, py } from "./helpers.js"

export const instances = (test: Register): void => {
  test("runs an instance over input, its state (set after construction) carrying across items", (fx) =>
    Effect.gen(function*() {
      const counter = yield* py(() => fx.make("FixtureCounter", { name: "counter" }))
      yield* py(() => fx.call(counter, "bump", 5))
      const out = yield* Executor.executePipelineWithInput([counter], [1, 2, 3])
      assert.deepStrictEqual(out, [{ call: 6, input: 1 }, { call: 7, input: 2 }, { call: 8, input: 3 }])
    }))

  test("runs an instance without input: executePipeline hands it one empty string", (fx) =>
    Effect.gen(function*() {
      const counter = yield* py(() => fx.make("FixtureCounter", { name: "counter", start: 41 }))
      const out = yield* Executor.executePipeline([counter])
      assert.deepStrictEqual(out, [{ call: 42, input: "" }])
    }))

  test("an initialized model instance runs with the model it holds", (fx) =>
    Effect.gen(function*() {
      const model = yield* py(() => fx.make("FixtureModel", { name: "model", factor: 3 }))
      yield* py(() => fx.call(model, "initialize"))
      const out = yield* Executor.executePipelineWithInput([model], [1, 2, 3])
      assert.deepStrictEqual(out, [3, 6, 9])
    }))

  test("state accumulates across items and batches", (fx) =>
    Effect.gen(function*() {
      const acc = yield* py(() => fx.make("FixtureAccumulator", { name: "acc" }))
      const items = Array.from({ length: 50 }, (_, i) => i + 1)
      const out = yield* Executor.executePipelineWithInput([acc], items, { maxBatch: 4, bufferSize: 2 })
      assert.deepStrictEqual(out, items.map((n) => (n * (n + 1)) / 2))
    }))

  // Scenarios that inspect the caller's own objects afterwards: skipped (and reported) where instances are shipped.
  const ownObjects: Register = (title, body) => test(title, body, ["sharesCallerObjects"])

  ownObjects("the caller's own object ran: its state is visible afterwards", (fx) =>
    Effect.gen(function*() {
      const counter = yield* py(() => fx.make("FixtureCounter", { name: "counter" }))
      yield* Executor.executePipelineWithInput([counter], [1, 2, 3])
      assert.strictEqual(yield* py(() => fx.get(counter, "calls")), 3)
      assert.strictEqual(yield* py(() => fx.get(counter, "last_input")), 3)
    }))

  ownObjects("a pre-initialized model is not loaded again", (fx) =>
    Effect.gen(function*() {
      const model = yield* py(() => fx.make("FixtureModel", { name: "model" }))
      yield* py(() => fx.call(model, "initialize"))
      yield* Executor.executePipelineWithInput([model], [1, 2])
      assert.strictEqual(yield* py(() => fx.get(model, "loads")), 1)
    }))

  ownObjects("an instance keeps counting across consecutive runs", (fx) =>
    Effect.gen(function*() {
      const counter = yield* py(() => fx.make("FixtureCounter", { name: "counter" }))
      yield* Executor.executePipelineWithInput([counter], [1, 2])
      const out = yield* Executor.executePipelineWithInput([counter], ["x"])
      assert.deepStrictEqual(out, [{ call: 3, input: "x" }])
    }))
}

type Kind = "manifest" | "instance" | "ts"

const apply: Record<Kind, (x: number) => number> = {
  manifest: (x) => x + 1,
  instance: (x) => x * 2,
  ts: (x) => x - 3
}

export const mixed = (test: Register): void => {
  for (const order of permutations<Kind>(["manifest", "instance", "ts"])) {
    test(`runs a mixed list in the order ${order.join(" → ")}`, (fx) =>
      Effect.gen(function*() {
        const scale = yield* py(() => fx.make("FixtureScale", { name: "scale", factor: 2 }))
        const nodes = {
          manifest: { id: "add", node_type: "CalculatorNode", params: { operation: "add", operand: 1 } },
          instance: scale,
          ts: { id: "ts", process: apply.ts }
        }
        const out = yield* Executor.executePipelineWithInput(order.map((k) => nodes[k]), [1, 2, 3])
        assert.deepStrictEqual(out, [1, 2, 3].map((x) => order.reduce((v, k) => apply[k](v), x)))
      }))
  }

  test("chains instances and manifest nodes of fixture types", (fx) =>
    Effect.gen(function*() {
      const scale = yield* py(() => fx.make("FixtureScale", { name: "scale", factor: 2 }))
      const out = yield* Executor.executePipelineWithInput(
        [scale, { id: "acc", node_type: "FixtureAccumulator", params: {} }, { id: "expand", node_type: "FixtureExpandNode" }],
        [1, 0]
      )
      // scale: 2, 0 -> running sum: 2, 2 -> expand: 20, 21, 20, 21
      assert.deepStrictEqual(out, [20, 21, 20, 21])
    }))

  test("a Python Pipeline object runs with its own node objects (FR-009)", (fx) =>
    Effect.gen(function*() {
      const pipeline = yield* py(() => fx.make("make_custom_pipeline", { factor: 3 }))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(pipeline, [1, 2]), ["label:3", "label:6"])
    }))

  test("a Python Pipeline object inside a node array is expanded in place", (fx) =>
    Effect.gen(function*() {
      const pipeline = yield* py(() => fx.make("make_custom_pipeline", { factor: 3 }))
      const out = yield* Executor.executePipelineWithInput(
        [{ id: "first", process: (x: number) => x + 1 }, pipeline, { id: "last", process: (s: string) => s.toUpperCase() }],
        [1, 2]
      )
      assert.deepStrictEqual(out, ["LABEL:6", "LABEL:9"])
    }))

  test("several pipelines run at the same time", (fx) =>
    Effect.gen(function*() {
      const runs = [0, 1, 2, 3].map((n) =>
        Effect.gen(function*() {
          const counter = yield* py(() => fx.make("FixtureCounter", { name: `counter${n}`, start: n * 100 }))
          const items = Array.from({ length: 20 }, (_, i) => i)
          const out = yield* Executor.executePipelineWithInput([counter, { id: "ts", process: (o: { call: number }) => o.call }], items, {
            maxBatch: 3
          })
          assert.deepStrictEqual(out, items.map((i) => n * 100 + i + 1))
        })
      )
      yield* Effect.all(runs, { concurrency: "unbounded" })
    }))
}
