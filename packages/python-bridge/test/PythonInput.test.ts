// PythonInput: Python Pipeline and Node handles become PythonNode references (FR-009, FR-010).
import { assert, describe, it } from "@effect/vitest"
import { InvalidPipelineInput, NodeRef, Pipeline } from "@remotemedia/core"
import { Effect } from "effect"
import { PythonInput, PythonNode, pythonObject, start } from "../src/index.js"

/** The interpreter and `remotemedia.testing`'s fixture factory (`make(name, kwargs)`). */
const fx = () =>
  Effect.promise(async () => {
    const python = start()
    const testing = await python.import("remotemedia.testing")
    return { python, make: (name: string, kwargs: Record<string, unknown> = {}) => testing.callMethod(name, [], kwargs) }
  })

describe("PythonInput.resolve", () => {
  it.effect("a Python Pipeline gives its nodes, in order, as PythonNodes holding the objects", () =>
    Effect.gen(function*() {
      const { make } = yield* fx()
      const pipeline = yield* Effect.promise(() => make("make_custom_pipeline", { name: "custom" }))
      const resolved = yield* PythonInput.resolve(pipeline)
      assert.strictEqual(resolved.name, "custom")
      assert.deepStrictEqual(resolved.nodes.map((n) => [n.name, n.isSource]), [["multiply", false], ["label", false]])
      assert.include(resolved.nodes[0]!.className, "make_custom_pipeline.<locals>.Multiply")
      for (const node of resolved.nodes) {
        assert.instanceOf(node, PythonNode)
        assert.isTrue(NodeRef.isPythonInstance(node))
        assert.strictEqual(pythonObject(node), node.object)
      }
    }))

  it.effect("a Python node gives one PythonNode holding that very handle", () =>
    Effect.gen(function*() {
      const { make } = yield* fx()
      const src = yield* Effect.promise(() => make("FixtureRangeSource", { name: "src" }))
      const { name, nodes } = yield* PythonInput.resolve(src)
      assert.isUndefined(name)
      assert.strictEqual(nodes.length, 1)
      assert.deepInclude(nodes[0], { name: "src", className: "remotemedia.testing.nodes.FixtureRangeSource", isSource: true })
      assert.strictEqual(pythonObject(nodes[0]!), src)
    }))

  it.effect("core builds a pipeline from a handle with ids as upstream writes them", () =>
    Effect.gen(function*() {
      const { make } = yield* fx()
      const pipeline = yield* Effect.promise(() => make("make_calculator_pipeline"))
      const built = yield* Pipeline.normalize(pipeline)
      assert.strictEqual(built.name, "calc-pipeline")
      assert.deepStrictEqual(built.nodes.map((n) => n.id), ["pass_0", "calc_1"])
    }))

  it.effect("every node that cannot run is named, with why", () =>
    Effect.gen(function*() {
      const { python } = yield* fx()
      const pipeline = yield* Effect.promise(() =>
        python.eval("__import__('remotemedia').Pipeline([__import__('remotemedia').Node(name='bare')], name='p')")
      )
      const error = yield* Effect.flip(PythonInput.resolve(pipeline))
      assert.instanceOf(error, InvalidPipelineInput)
      assert.include(error.message, "Python pipeline 'p'")
      assert.include(error.message, "'bare'")
      assert.include(error.message, "does not override process()")
    }))

  it.effect("an empty Python pipeline and a non-Python value are rejected", () =>
    Effect.gen(function*() {
      const { python } = yield* fx()
      const empty = yield* Effect.promise(() => python.eval("__import__('remotemedia').Pipeline(name='empty')"))
      assert.include((yield* Effect.flip(PythonInput.resolve(empty))).message, "has no nodes")
      assert.instanceOf(yield* Effect.flip(PythonInput.resolve({ process: () => 1 })), InvalidPipelineInput)
      assert.isFalse(PythonInput.resolver.canResolve({ process: () => 1 }))
    }))
})
