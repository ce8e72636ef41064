// Scenarios: every RuntimeData kind round trips exactly through a Python identity node;
// Python-only objects cross as opaque values.
import { assert } from "@effect/vitest"
import { Audio, Executor, type RuntimeData as Data, Tensor, VideoFrame } from "@remotemedia/core"

type RuntimeData = Data.RuntimeData
import { Effect } from "effect"
import type { Register } from "../TransportSuite.js"
import { py } from "./helpers.js"

/** [label, value, how Python's FixtureTypeOf describes it] */
const values: ReadonlyArray<readonly [string, RuntimeData, string]> = [
  ["an ASCII string", "hello", "str"],
  ["unicode with emoji", "héllo wörld — 日本語 🎉👩‍💻", "str"],
  ["the empty string", "", "str"],
  ["an integer", 42, "int"],
  ["a negative float", -1.5, "float"],
  ["the largest safe integer", Number.MAX_SAFE_INTEGER, "int"],
  ["a large int as bigint", 2n ** 64n + 1n, "int"],
  ["a large negative int as bigint", -(2n ** 70n), "int"],
  ["true", true, "bool"],
  ["false", false, "bool"],
  ["nested JSON", { a: [1, { b: null, c: [true, "x", 2.5] }], "": 0, "ü": { deeper: [[]] } }, "dict"],
  ["a dict with a type key (stays a dict)", { type: "audio", samples: [0.1, 0.2], sampleRate: 16000 }, "dict"],
  ["a list (stays a list)", [1, [2, 3], [], "x", null], "list"],
  ["an empty list", [], "list"],
  ["an empty dict", {}, "dict"],
  ["bytes 0..255", Uint8Array.from({ length: 256 }, (_, i) => i), "bytes"],
  ["a float32 tensor 2x3", new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6.5]), [2, 3]), "ndarray[float32](2, 3)"],
  ["a float64 tensor 3x2", new Tensor(Float64Array.from([Math.PI, -Math.E, 0, 1e-300, 1e300, -0.5]), [3, 2]), "ndarray[float64](3, 2)"],
  ["an int16 tensor 2x2", new Tensor(Int16Array.from([-32768, -1, 0, 32767]), [2, 2]), "ndarray[int16](2, 2)"],
  ["stereo audio", new Audio(Float32Array.from([0, 0.5, -0.5, 1, -1, 0.25, 0.125, -0.125]), 16000, 2), "Audio(16000Hz, 2ch, 4 frames)"],
  ["a video frame", new VideoFrame(Uint8Array.from({ length: 12 }, (_, i) => i * 20), 2, 2, "rgb24"), "VideoFrame(2x2 rgb24)"]
]

/** Asserts `actual` is exactly `expected`: same kinds (media classes, Uint8Array, bigint), same contents. */
const assertSame = (actual: unknown, expected: unknown, path = "value"): void => {
  if (expected instanceof Tensor) {
    assert.instanceOf(actual, Tensor, path)
    const t: Tensor = actual
    const e = expected as Tensor
    assert.deepStrictEqual([t.dtype, [...t.shape]], [e.dtype, [...e.shape]], path)
    assert.strictEqual(t.data.constructor, e.data.constructor, `${path}.data type`)
    assert.deepStrictEqual(Array.from(t.data as ArrayLike<number | bigint>), Array.from(e.data as ArrayLike<number | bigint>), path)
  } else if (expected instanceof Audio) {
    assert.instanceOf(actual, Audio, path)
    const a = actual
    assert.deepStrictEqual([a.sampleRate, a.channels, Array.from(a.samples)], [expected.sampleRate, expected.channels, Array.from(expected.samples)], path)
  } else if (expected instanceof VideoFrame) {
    assert.instanceOf(actual, VideoFrame, path)
    const v = actual
    assert.deepStrictEqual([v.width, v.height, v.format, Array.from(v.data)], [expected.width, expected.height, expected.format, Array.from(expected.data)], path)
  } else if (expected instanceof Uint8Array) {
    assert.instanceOf(actual, Uint8Array, path)
    assert.deepStrictEqual(Array.from(actual as Uint8Array), Array.from(expected), path)
  } else if (Array.isArray(expected)) {
    assert.isTrue(Array.isArray(actual), `${path} is an array`)
    assert.strictEqual((actual as Array<unknown>).length, expected.length, `${path}.length`)
    expected.forEach((e, i) => assertSame((actual as Array<unknown>)[i], e, `${path}[${i}]`))
  } else if (typeof expected === "object" && expected !== null) {
    assert.isTrue(typeof actual === "object" && actual !== null && !Array.isArray(actual), `${path} is a plain object`)
    assert.deepStrictEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), `${path} keys`)
    for (const [k, e] of Object.entries(expected)) assertSame((actual as Record<string, unknown>)[k], e, `${path}.${k}`)
  } else {
    assert.strictEqual(typeof actual, typeof expected, `${path} type`)
    assert.strictEqual(actual, expected, path)
  }
}

export const data = (test: Register): void => {
  for (const [label, value, pyType] of values) {
    test(`round trips ${label} exactly through a Python identity node`, (fx) =>
      Effect.gen(function*() {
        const echo = yield* py(() => fx.make("FixtureEcho"))
        const typeOf = yield* py(() => fx.make("FixtureTypeOf"))
        const out = yield* Executor.executePipelineWithInput([echo], [value])
        assert.strictEqual(out.length, 1)
        assertSame(out[0], value)
        assert.deepStrictEqual(yield* Executor.executePipelineWithInput([typeOf], [value]), [pyType])
      }))
  }

  test("a batch of every kind, media nested in containers included, round trips in one run", (fx) =>
    Effect.gen(function*() {
      const echo = yield* py(() => fx.make("FixtureEcho"))
      const items = [...values.map(([, v]) => v), values.map(([, v]) => v), { media: values.slice(-5).map(([, v]) => v) }]
      assertSame(yield* Executor.executePipelineWithInput([echo, { id: "ts", process: (x: RuntimeData) => x }, echo], items), items)
    }))

  test("null nested in containers round trips; a top-level None result is no output", (fx) =>
    Effect.gen(function*() {
      const echo = yield* py(() => fx.make("FixtureEcho"))
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([echo], [null, [null], { k: null }]), [[null], { k: null }])
    }))

  test("Python-only objects reach TypeScript as opaque values and pass between Python nodes", (fx) =>
    Effect.gen(function*() {
      const make = yield* py(() => fx.make("FixtureMakeOpaque", { name: "make" }))
      const use = yield* py(() => fx.make("FixtureUseOpaque", { name: "use" }))
      const [opaque] = yield* Executor.executePipelineWithInput([make], ["v"])
      assert.strictEqual((opaque as { _tag?: unknown })._tag, "OpaqueValue")
      assert.include((opaque as { typeName: string }).typeName, "OpaqueThing")
      const direct = yield* Executor.executePipelineWithInput([make, use], ["a", "b"])
      assert.deepStrictEqual(direct.map((o) => (o as { value: unknown }).value), ["a", "b"])
      const viaTs = yield* Executor.executePipelineWithInput([make, { id: "ts", process: (x: RuntimeData) => x }, use], ["c"])
      assert.deepStrictEqual(viaTs.map((o) => (o as { value: unknown }).value), ["c"])
    }))

  // Scenarios that inspect the caller's own objects afterwards: skipped (and reported) where instances are shipped.
  const ownObjects: Register = (title, body) => test(title, body, ["sharesCallerObjects"])

  ownObjects("a Python-only object passes by reference between Python nodes", (fx) =>
    Effect.gen(function*() {
      const make = yield* py(() => fx.make("FixtureMakeOpaque", { name: "make" }))
      const use = yield* py(() => fx.make("FixtureUseOpaque", { name: "use" }))
      const [out] = yield* Executor.executePipelineWithInput([make, { id: "ts", process: (x: RuntimeData) => x }, use], ["v"])
      const made = (yield* py(() => fx.get(make, "made"))) as ReadonlyArray<unknown>
      assert.strictEqual(made.length, 1)
      const id = yield* py(async () => (await fx.python.eval("id(thing)", { thing: made[0] })).toJs())
      assert.deepStrictEqual(out, { value: "v", id })
      assert.deepStrictEqual(yield* py(() => fx.python.eval("thing.seen_by", { thing: made[0] }).then((o) => o.toJs())), ["use"])
    }))
}
