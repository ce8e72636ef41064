// Codec: RuntimeData <-> msgpack round trips on the TypeScript side, views vs copies, refusals.
import { assert, describe, it } from "@effect/vitest"
import { Audio, Tensor, VideoFrame } from "@remotemedia/core"
import { BLOB_THRESHOLD, CodecError, decode, encode, encodeFrame, encodeFrameParts, PickledObject } from "../src/Codec.js"

const roundtrip = (u: unknown) => decode(encode(u))

describe("Codec", () => {
  it("round-trips plain values exactly (strings, numbers, bigints, bytes, lists, dicts)", () => {
    const values = [
      "emoji 🎧 ü",
      0,
      -1,
      2 ** 31,
      2 ** 40,
      -(2 ** 52),
      Number.MAX_SAFE_INTEGER,
      2n ** 53n + 1n,
      2n ** 64n - 1n,
      2n ** 64n,
      -(2n ** 70n),
      0.1,
      NaN,
      -Infinity,
      true,
      null,
      Uint8Array.from({ length: 256 }, (_, i) => i),
      [1, [2, []]],
      { type: "tensor", shape: [1], nested: { a: null } }
    ]
    for (const v of values) assert.deepStrictEqual(roundtrip(v), v)
  })

  it("sends whole numbers beyond 32 bits as int64, never as float64", () => {
    const body = encode(2 ** 40)
    assert.strictEqual(body[0], 0xd3) // int64
    assert.strictEqual(encode(0.5)[0], 0xcb) // float64
  })

  it("sends undefined as nil", () => {
    assert.deepStrictEqual(roundtrip([undefined]), [null])
  })

  it("round-trips every tensor dtype with its shape", () => {
    const tensors = [
      new Tensor(Float32Array.from([1.5, -2]), [2, 1]),
      new Tensor(Float64Array.from([1e-300])),
      new Tensor(Int8Array.from([-128])),
      new Tensor(Int16Array.from([-2, 3])),
      new Tensor(Int32Array.from([7])),
      new Tensor(BigInt64Array.from([-(2n ** 63n)])),
      new Tensor(Uint8Array.from([255])),
      new Tensor(Uint16Array.from([65535])),
      new Tensor(Uint32Array.from([4294967295])),
      new Tensor(BigUint64Array.from([2n ** 64n - 1n])),
      new Tensor(new Float32Array(0), [0, 4])
    ]
    for (const t of tensors) {
      const out = roundtrip(t) as Tensor
      assert.instanceOf(out, Tensor)
      assert.strictEqual(out.dtype, t.dtype)
      assert.deepStrictEqual([...out.shape], [...t.shape])
      assert.deepStrictEqual(out.data, t.data)
    }
  })

  it("reads aligned tensor data as a view of the frame, and copies only misaligned data", () => {
    const frame = encode(new Tensor(Float64Array.from([1, 2, 3])))
    // The raw bytes sit at the payload's 8-aligned offset; place the frame so they are aligned, or not.
    const aligned = (shift: number) => {
      const buffer = new Uint8Array(frame.byteLength + 16)
      for (let s = 0; s < 8; s++) {
        buffer.set(frame, s)
        const out = decode(buffer.subarray(s, s + frame.byteLength)) as Tensor<"float64">
        if ((out.data.buffer === buffer.buffer) === (shift === 0)) return { out, buffer }
      }
      throw new Error("no placement found")
    }
    const view = aligned(0)
    assert.strictEqual(view.out.data.buffer, view.buffer.buffer) // no copy
    const copy = aligned(1)
    assert.notStrictEqual(copy.out.data.buffer, copy.buffer.buffer) // copied to align
    assert.deepStrictEqual([...copy.out.data], [1, 2, 3])
  })

  it("round-trips Audio, VideoFrame and pickled Python objects", () => {
    const audio = roundtrip(new Audio(Float32Array.from([0.25, -0.5]), 44100, 2)) as Audio
    assert.instanceOf(audio, Audio)
    assert.deepStrictEqual([audio.sampleRate, audio.channels, [...audio.samples]], [44100, 2, [0.25, -0.5]])
    const frame = roundtrip(new VideoFrame(new Uint8Array(4), 2, 2, "gray8")) as VideoFrame
    assert.deepStrictEqual([frame.width, frame.height, frame.format, frame.data], [2, 2, "gray8", new Uint8Array(4)])
    const pickled = roundtrip(new PickledObject("x.Y", Uint8Array.from([1, 2]))) as PickledObject
    assert.deepStrictEqual([pickled._tag, pickled.typeName, pickled.pickle], ["OpaqueValue", "x.Y", Uint8Array.from([1, 2])])
  })

  it("refuses bare typed arrays and opaque values of other runtimes", () => {
    assert.throws(() => encode([new Float32Array(2)]), CodecError, /wrap it in a Tensor/)
    assert.throws(() => encode({ v: { _tag: "OpaqueValue", typeName: "torch.Tensor" } }), CodecError, /another runtime/)
  })

  it("does not copy the caller's containers unless a number had to change", () => {
    const items = [{ a: 1 }, [2]]
    assert.deepStrictEqual(roundtrip(items), items)
    assert.deepStrictEqual(roundtrip({ big: [2 ** 33] }), { big: [2 ** 33] })
  })

  it("writes the frame length in place, big-endian", () => {
    const frame = encodeFrame({ op: "ok", seq: 1 })
    assert.strictEqual(new DataView(frame.buffer, frame.byteOffset).getUint32(0), frame.byteLength - 4)
  })

  it("encodes and decodes a 64 MiB tensor", () => {
    const data = new Float32Array(16 * 1024 * 1024)
    data[0] = 1
    data[data.length - 1] = 2
    const out = roundtrip(new Tensor(data)) as Tensor<"float32">
    assert.strictEqual(out.data.length, data.length)
    assert.strictEqual(out.data[data.length - 1], 2)
  })

  it("reports invalid msgpack as a CodecError", () => {
    assert.throws(() => decode(Uint8Array.from([0x92, 0x01])), CodecError, /end of MessagePack data/)
    assert.throws(() => decode(Uint8Array.from([0x80, 0x80])), CodecError, /end of buffer not reached/)
  })

  it("encodeFrameParts sends large raw parts from their own memory, the same bytes as encodeFrame", () => {
    const big = new Float32Array(BLOB_THRESHOLD / 4 + 3).map((_, i) => i)
    const video = new Uint8Array(BLOB_THRESHOLD * 2).fill(7)
    const message = {
      op: "process",
      seq: 9,
      items: ["a", new Tensor(big, [big.length]), new Tensor(new Float32Array(4), [4]), new VideoFrame(video, 256, 512, "gray8"), 3]
    }
    const parts = encodeFrameParts(message)
    assert.strictEqual(parts.length, 5)
    assert.strictEqual(parts[1]!.buffer, big.buffer)
    assert.strictEqual(parts[3], video)
    assert.deepStrictEqual(Buffer.concat(parts), Buffer.from(encodeFrame(message)))
    assert.strictEqual(encodeFrameParts({ op: "end", seq: 1, slots: [0] }).length, 1)
    assert.deepStrictEqual(Buffer.from(encodeFrameParts({ a: "x" })[0]!), Buffer.from(encodeFrame({ a: "x" })))
  })
})
