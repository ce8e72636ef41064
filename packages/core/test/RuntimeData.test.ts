// RuntimeData media classes: Tensor dtype/shape, Audio and VideoFrame validation (InvalidMediaValue).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Audio, RuntimeData, Tensor, VideoFrame } from "../src/index.js"

/** Runs a constructor as an Effect; a thrown value becomes the failure. */
const construct = <A>(make: () => A): Effect.Effect<A, unknown> => Effect.try({ try: make, catch: (e) => e })

/** The InvalidMediaValue a constructor throws. */
const invalid = <A>(make: () => A): Effect.Effect<RuntimeData.InvalidMediaValue> =>
  Effect.map(Effect.result(construct(make)), (result) => {
    if (result._tag === "Success") return assert.fail("expected InvalidMediaValue, but the value was constructed")
    const e = result.failure
    if (!(e instanceof RuntimeData.InvalidMediaValue)) return assert.fail(`expected InvalidMediaValue, got ${String(e)}`)
    return e
  })

describe("Tensor", () => {
  const cases: ReadonlyArray<readonly [RuntimeData.TensorData, RuntimeData.DType]> = [
    [new Float32Array([1, 2, 3]), "float32"],
    [new Float64Array([1, 2, 3]), "float64"],
    [new Int8Array([1, -2, 3]), "int8"],
    [new Int16Array([1, -2, 3]), "int16"],
    [new Int32Array([1, -2, 3]), "int32"],
    [new BigInt64Array([1n, -2n, 3n]), "int64"],
    [new Uint8Array([1, 2, 3]), "uint8"],
    [new Uint16Array([1, 2, 3]), "uint16"],
    [new Uint32Array([1, 2, 3]), "uint32"],
    [new BigUint64Array([1n, 2n, 3n]), "uint64"]
  ]
  for (const [data, dtype] of cases) {
    it.effect(`infers dtype ${dtype} from ${data.constructor.name} and defaults the shape to [length]`, () =>
      Effect.gen(function*() {
        const t = yield* construct(() => new Tensor(data))
        assert.strictEqual(t.dtype, dtype)
        assert.deepStrictEqual(t.shape, [3])
        assert.strictEqual(t.size, 3)
        assert.strictEqual(t.data, data)
      }))
  }

  it.effect("keeps a matching multi-dimensional shape, frozen and copied", () =>
    Effect.gen(function*() {
      const shape = [2, 3]
      const t = yield* construct(() => new Tensor(new Float32Array(6), shape))
      assert.deepStrictEqual(t.shape, [2, 3])
      assert.isTrue(Object.isFrozen(t.shape))
      shape[0] = 99
      assert.deepStrictEqual(t.shape, [2, 3])
    }))

  it.effect("accepts a scalar shape [] for one element and a zero-size shape for no elements", () =>
    Effect.gen(function*() {
      const scalar = yield* construct(() => new Tensor(new Float64Array([7]), []))
      assert.deepStrictEqual(scalar.shape, [])
      assert.strictEqual(scalar.size, 1)
      const empty = yield* construct(() => new Tensor(new Int32Array(0), [0, 3]))
      assert.deepStrictEqual(empty.shape, [0, 3])
      assert.strictEqual(empty.size, 0)
    }))

  it.effect("rejects a shape whose size differs from the data length", () =>
    Effect.gen(function*() {
      const err = yield* invalid(() => new Tensor(new Float32Array(5), [2, 2]))
      assert.strictEqual(err.name, "InvalidMediaValue")
      assert.instanceOf(err, TypeError)
      assert.strictEqual(err.message, "Tensor shape [2, 2] needs 4 elements but data holds 5")
    }))

  it.effect("rejects negative dimensions", () =>
    Effect.gen(function*() {
      const err = yield* invalid(() => new Tensor(new Float32Array(4), [-2, -2]))
      assert.include(err.message, "non-negative integers")
      assert.include(err.message, "[-2, -2]")
    }))

  it.effect("rejects non-integer and NaN dimensions", () =>
    Effect.gen(function*() {
      const frac = yield* invalid(() => new Tensor(new Float32Array(3), [1.5, 2]))
      assert.include(frac.message, "non-negative integers")
      const nan = yield* invalid(() => new Tensor(new Float32Array(3), [Number.NaN]))
      assert.include(nan.message, "non-negative integers")
    }))
})

describe("Audio", () => {
  it.effect("holds interleaved samples and derives frames and duration", () =>
    Effect.gen(function*() {
      const samples = new Float32Array(16_000 * 2)
      const a = yield* construct(() => new Audio(samples, 16_000, 2))
      assert.strictEqual(a.samples, samples)
      assert.strictEqual(a.sampleRate, 16_000)
      assert.strictEqual(a.channels, 2)
      assert.strictEqual(a.frames, 16_000)
      assert.strictEqual(a.durationSeconds, 1)
    }))

  it.effect("defaults to one channel", () =>
    Effect.gen(function*() {
      const a = yield* construct(() => new Audio(new Float32Array(8000), 16_000))
      assert.strictEqual(a.channels, 1)
      assert.strictEqual(a.frames, 8000)
      assert.strictEqual(a.durationSeconds, 0.5)
    }))

  it.effect("rejects samples that are not a Float32Array", () =>
    Effect.gen(function*() {
      const f64 = yield* invalid(() => new Audio(new Float64Array(4) as unknown as Float32Array, 16_000))
      assert.strictEqual(f64.message, "Audio samples must be a Float32Array")
      const plain = yield* invalid(() => new Audio([0, 0.5] as unknown as Float32Array, 16_000))
      assert.strictEqual(plain.message, "Audio samples must be a Float32Array")
    }))

  for (const rate of [0, -16_000, 44_100.5, Number.NaN]) {
    it.effect(`rejects sample rate ${rate}`, () =>
      Effect.gen(function*() {
        const err = yield* invalid(() => new Audio(new Float32Array(4), rate))
        assert.include(err.message, "sampleRate must be a positive integer")
      }))
  }

  it.effect("rejects a channel count that is not a positive integer", () =>
    Effect.gen(function*() {
      const zero = yield* invalid(() => new Audio(new Float32Array(4), 16_000, 0))
      assert.include(zero.message, "channels must be a positive integer")
      const frac = yield* invalid(() => new Audio(new Float32Array(4), 16_000, 1.5))
      assert.include(frac.message, "channels must be a positive integer")
    }))

  it.effect("rejects a sample count that the channel count does not divide", () =>
    Effect.gen(function*() {
      const err = yield* invalid(() => new Audio(new Float32Array(5), 16_000, 2))
      assert.strictEqual(err.message, "Audio holds 5 samples, not a multiple of 2 channels")
    }))
})

describe("VideoFrame", () => {
  const sizes: ReadonlyArray<readonly [RuntimeData.PixelFormat, number]> = [
    ["rgb24", 4 * 2 * 3],
    ["bgr24", 4 * 2 * 3],
    ["rgba", 4 * 2 * 4],
    ["bgra", 4 * 2 * 4],
    ["gray8", 4 * 2],
    ["yuv420p", 4 * 2 + 2 * (2 * 1)]
  ]
  for (const [format, bytes] of sizes) {
    it.effect(`a 4x2 ${format} frame needs exactly ${bytes} bytes`, () =>
      Effect.gen(function*() {
        const f = yield* construct(() => new VideoFrame(new Uint8Array(bytes), 4, 2, format))
        assert.strictEqual(f.width, 4)
        assert.strictEqual(f.height, 2)
        assert.strictEqual(f.format, format)
        assert.strictEqual(f.data.length, bytes)
        const short = yield* invalid(() => new VideoFrame(new Uint8Array(bytes - 1), 4, 2, format))
        assert.strictEqual(short.message, `VideoFrame 4x2 ${format} needs ${bytes} bytes, got ${bytes - 1}`)
        const long = yield* invalid(() => new VideoFrame(new Uint8Array(bytes + 1), 4, 2, format))
        assert.include(long.message, `got ${bytes + 1}`)
      }))
  }

  it.effect("defaults to rgb24", () =>
    Effect.gen(function*() {
      const f = yield* construct(() => new VideoFrame(new Uint8Array(2 * 2 * 3), 2, 2))
      assert.strictEqual(f.format, "rgb24")
      const err = yield* invalid(() => new VideoFrame(new Uint8Array(2 * 2 * 4), 2, 2))
      assert.include(err.message, "rgb24 needs 12 bytes")
    }))

  it.effect("a 640x480 yuv420p frame holds a full Y plane and quarter-size U and V planes", () =>
    Effect.gen(function*() {
      const bytes = 640 * 480 + 2 * (320 * 240)
      const f = yield* construct(() => new VideoFrame(new Uint8Array(bytes), 640, 480, "yuv420p"))
      assert.strictEqual(f.data.length, 460_800)
    }))

  it.effect("yuv420p with odd dimensions rejects byte counts that are no 4:2:0 layout", () =>
    Effect.gen(function*() {
      // 3x3 4:2:0 is 9 luma bytes plus two chroma planes of 2x2 (rounded up, as ffmpeg does) = 17 bytes
      // (or 9 + 1 + 1 = 11 when rounding down); ceil(3 * 3 * 1.5) = 14 matches no layout.
      const err3 = yield* invalid(() => new VideoFrame(new Uint8Array(14), 3, 3, "yuv420p"))
      assert.include(err3.message, "yuv420p")
      // 1x1: 1 luma byte plus one byte each for U and V = 3; ceil(1.5) = 2 is no layout.
      const err1 = yield* invalid(() => new VideoFrame(new Uint8Array(2), 1, 1, "yuv420p"))
      assert.include(err1.message, "yuv420p")
    }))

  it.effect("rejects sizes that are not positive integers", () =>
    Effect.gen(function*() {
      const zero = yield* invalid(() => new VideoFrame(new Uint8Array(0), 0, 2))
      assert.strictEqual(zero.message, "VideoFrame size must be positive integers, got 0x2")
      const neg = yield* invalid(() => new VideoFrame(new Uint8Array(6), 2, -1))
      assert.include(neg.message, "positive integers")
      const frac = yield* invalid(() => new VideoFrame(new Uint8Array(6), 1.5, 2))
      assert.include(frac.message, "positive integers")
    }))

  it.effect("rejects an unknown pixel format", () =>
    Effect.gen(function*() {
      const err = yield* invalid(() => new VideoFrame(new Uint8Array(4), 2, 2, "cmyk" as RuntimeData.PixelFormat))
      assert.strictEqual(err.message, "Unknown pixel format 'cmyk'")
    }))
})

describe("checkShape", () => {
  it("names a cycle and what it points back to", () => {
    const a: { x: Array<unknown> } = { x: [1] }
    a.x.push(a)
    const problem = RuntimeData.checkShape(a)
    assert.strictEqual(problem?.reason, "cycle")
    assert.strictEqual(problem?.path, "item.x[1]")
    assert.strictEqual(problem?.target, "item")
    assert.include(problem?.message, "cycle")
    assert.include(problem?.message, "item.x[1] refers back to item")
  })

  it("accepts shared references that are not cycles, and media values as leaves", () => {
    const shared = { n: 1 }
    assert.isUndefined(RuntimeData.checkShape({ a: shared, b: [shared, shared], audio: new Audio(new Float32Array(4), 16_000) }))
  })

  it("shortens the path of over-deep data", () => {
    let deep: unknown = 0
    for (let i = 0; i < 5_000; i++) deep = [deep]
    const problem = RuntimeData.checkShape(deep, "items[2]")
    assert.strictEqual(problem?.reason, "depth")
    assert.isBelow(problem!.message.length, 120)
    assert.include(problem?.message, `more than ${RuntimeData.MAX_DEPTH} levels deep`)
    assert.include(problem?.path, `items[2][0][0][0][0]…(${RuntimeData.MAX_DEPTH - 8} more levels)…[0][0][0][0]`)
  })

  it("quotes keys that are not identifiers", () => {
    const o: Record<string, unknown> = {}
    o["a key"] = { back: o }
    assert.strictEqual(RuntimeData.checkShape(o)?.path, `item["a key"].back`)
  })
})
