// Scenarios: upstream manifests (object and JSON string), Python-written manifests, serialized instances.
import { assert } from "@effect/vitest"
import { Executor, NodeRef } from "@remotemedia/core"
import { Effect } from "effect"
import type { Register } from "../TransportSuite.js"
import { py } from "./helpers.js"

const upstream = (passThrough: string) => ({
  version: "v1",
  metadata: { name: "calc-pipeline", description: "PassThrough then multiply by 2" },
  nodes: [
    { id: "pass_0", node_type: passThrough, params: {}, is_streaming: false },
    { id: "calc_1", node_type: "CalculatorNode", params: { operation: "multiply", operand: 2 } }
  ],
  connections: [{ from: "pass_0", to: "calc_1" }]
})

export const manifests = (test: Register): void => {
  for (const passThrough of ["PassThroughNode", "PassThrough"]) {
    for (const form of ["object", "JSON string"] as const) {
      test(`runs an upstream manifest (${passThrough}, as ${form}): [1..5] times 2`, () =>
        Effect.gen(function*() {
          const manifest = upstream(passThrough)
          const out = yield* Executor.executePipelineWithInput(
            form === "object" ? manifest : JSON.stringify(manifest),
            [1, 2, 3, 4, 5]
          )
          assert.deepStrictEqual(out, [2, 4, 6, 8, 10])
        }))
    }
  }

  test("runs the manifest Python's Pipeline.serialize() writes, and the Pipeline object itself", (fx) =>
    Effect.gen(function*() {
      const pipeline = yield* py(() => fx.make("make_calculator_pipeline", { operand: 2 }))
      const json = yield* py(() => fx.call(pipeline, "serialize"))
      assert.isString(json)
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(json, [1, 2, 3, 4, 5]), [2, 4, 6, 8, 10])
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(pipeline, [1, 2, 3, 4, 5]), [2, 4, 6, 8, 10])
    }))

  test("a manifest node carrying a serialized instance runs with that instance's state", (fx) =>
    Effect.gen(function*() {
      const counter = yield* py(() => fx.make("FixtureCounter", { name: "counter" }))
      yield* py(() => fx.call(counter, "bump", 10))
      const remotemedia = yield* py(() => fx.python.import("remotemedia"))
      const bytes = (yield* py(() => remotemedia.callMethodJs("serialize_node_for_ipc", [counter]))) as Uint8Array
      assert.instanceOf(bytes, Uint8Array)
      const manifest = {
        version: "v1",
        metadata: { name: "pickled" },
        nodes: [{
          id: "counter",
          instance: {
            format: "cloudpickle",
            data: Buffer.from(bytes).toString("base64"),
            class_name: "remotemedia.testing.nodes.FixtureCounter"
          }
        }],
        connections: []
      }
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput(JSON.stringify(manifest), [1, 2]), [
        { call: 11, input: 1 },
        { call: 12, input: 2 }
      ])
      const out = yield* Executor.executePipelineWithInput(
        [NodeRef.serializedInstance({ bytes, name: "counter" }), { id: "pick", process: (o: { call: number }) => o.call }],
        [1, 2]
      )
      assert.deepStrictEqual(out, [11, 12])
    }))
}
