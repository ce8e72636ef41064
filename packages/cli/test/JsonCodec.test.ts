// The JSON form of pipeline values: every tagged form round-trips, plain objects stay plain, malformed forms say where.
import { assert, describe, it } from "@effect/vitest"
import { Audio, type RuntimeData, Tensor, VideoFrame } from "@remotemedia/core"
import { decode, encode, InvalidJsonForm } from "../src/JsonCodec.js"

/** Through JSON text and back, as the CLI prints and reads values. */
const roundTrip = (value: RuntimeData.RuntimeData): RuntimeData.RuntimeData => decode(JSON.parse(JSON.stringify(encode(value))))

const failure = (json: unknown): InvalidJsonForm => {
  try {
    decode(json)
  } catch (e) {
    assert.instanceOf(e, InvalidJsonForm)
    return e
  }
  return assert.fail("expected decode to throw")
}

describe("JsonCodec", () => {
  it("leaves plain JSON values as they are", () => {
    const value = { a: [1, "two", true, null, { b: -0.5 }], "odd key": {} }
    assert.deepStrictEqual(encode(value), value)
    assert.deepStrictEqual(decode(value), value)
  })

  it("round-trips bytes, bigints and non-finite numbers", () => {
    const bytes = roundTrip(Uint8Array.of(0, 1, 254, 255))
    assert.instanceOf(bytes, Uint8Array)
    assert.deepStrictEqual([...bytes], [0, 1, 254, 255])
    assert.deepStrictEqual(encode(12345678901234567890n), { $bigint: "12345678901234567890" })
    assert.strictEqual(roundTrip(-12345678901234567890n), -12345678901234567890n)
    assert.isNaN(roundTrip(Number.NaN))
    assert.strictEqual(roundTrip(Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY)
  })

  it("round-trips tensors of every dtype with their shape", () => {
    const cases = [
      new Tensor(Float32Array.of(1.5, -2, 3, 4, 5, 6), [2, 3]),
      new Tensor(Float64Array.of(Math.PI)),
      new Tensor(Int8Array.of(-128, 127)),
      new Tensor(Int16Array.of(-32768, 1)),
      new Tensor(Int32Array.of(-1, 2 ** 31 - 1)),
      new Tensor(BigInt64Array.of(-(2n ** 63n), 1n)),
      new Tensor(Uint8Array.of(255)),
      new Tensor(Uint16Array.of(65535)),
      new Tensor(Uint32Array.of(2 ** 32 - 1)),
      new Tensor(BigUint64Array.of(2n ** 64n - 1n)),
      new Tensor(new Float32Array(0), [0, 3])
    ]
    for (const tensor of cases) {
      const back = roundTrip(tensor)
      assert.instanceOf(back, Tensor)
      assert.strictEqual(back.dtype, tensor.dtype)
      assert.deepStrictEqual(back.shape, tensor.shape)
      assert.deepStrictEqual([...back.data], [...tensor.data])
    }
  })

  it("round-trips a tensor viewing part of a larger buffer", () => {
    const whole = Float32Array.of(9, 1, 2, 9)
    const back = roundTrip(new Tensor(whole.subarray(1, 3)))
    assert.instanceOf(back, Tensor)
    assert.deepStrictEqual([...back.data], [1, 2])
  })

  it("round-trips audio and video frames", () => {
    const audio = roundTrip(new Audio(Float32Array.of(0.5, -0.5, 0.25, 0), 48_000, 2))
    assert.instanceOf(audio, Audio)
    assert.deepStrictEqual([audio.sampleRate, audio.channels, [...audio.samples]], [48_000, 2, [0.5, -0.5, 0.25, 0]])
    const frame = roundTrip(new VideoFrame(Uint8Array.of(1, 2, 3, 4), 2, 2, "gray8"))
    assert.instanceOf(frame, VideoFrame)
    assert.deepStrictEqual([frame.width, frame.height, frame.format, [...frame.data]], [2, 2, "gray8", [1, 2, 3, 4]])
  })

  it("finds tagged values inside arrays and objects", () => {
    const back = roundTrip({ clips: [Uint8Array.of(7)], n: 2n })
    assert.deepStrictEqual(back, { clips: [Uint8Array.of(7)], n: 2n })
  })

  it("escapes a plain object whose only key is a tag, and reads it back as that plain object", () => {
    const plain = { $bytes: "not base64!" }
    assert.deepStrictEqual(encode(plain), { $object: { $bytes: "not base64!" } })
    assert.deepStrictEqual(roundTrip(plain), plain)
    assert.deepStrictEqual(roundTrip({ $tensor: 1, other: 2 }), { $tensor: 1, other: 2 })
  })

  it("writes a value with no JS form as $opaque and refuses it as input", () => {
    assert.deepStrictEqual(encode({ _tag: "OpaqueValue", typeName: "torch.Tensor" }), { $opaque: "torch.Tensor" })
    assert.strictEqual(failure({ $opaque: "torch.Tensor" }).where, "item.$opaque")
  })

  it("names where a tagged form is malformed", () => {
    assert.strictEqual(failure({ $bytes: "abc" }).where, "item.$bytes")
    assert.strictEqual(failure([0, { x: { $bigint: "1.5" } }]).where, "item[1].x.$bigint")
    assert.strictEqual(failure({ $tensor: { dtype: "float16", shape: [1], data: "" } }).where, "item.$tensor.dtype")
    assert.strictEqual(failure({ $tensor: { dtype: "float32", shape: [2], data: "AAAAAAA=" } }).where, "item.$tensor.data")
    const mismatch = failure({ $tensor: { dtype: "uint8", shape: [3], data: "AAA=" } })
    assert.strictEqual(mismatch.where, "item.$tensor")
    assert.include(mismatch.detail, "needs 3 elements")
    assert.strictEqual(failure({ $audio: { samples: "" } }).where, "item.$audio.sampleRate")
    assert.strictEqual(failure({ $video: { width: 1, height: 1, format: "rgb24", data: "AA==" } }).where, "item.$video")
  })
})
