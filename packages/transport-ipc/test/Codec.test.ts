// Codec: RuntimeData <-> msgpack round trips on the TypeScript side, views vs copies, split bodies, refusals.
import { assert, describe, it } from "@effect/vitest"
import { Audio, Tensor, VideoFrame } from "@remotemedia/core"
import { BLOB_THRESHOLD, Codec, CodecError } from "../src/internal/Codec.js"
import { decodeBody, FrameEncoder } from "../src/internal/Framing.js"
import { PickledObject } from "../src/PickledObject.js"
import { tag } from "./vectors.js"

const codec = new Codec()
const encode = (u: unknown) => codec.encode(u)
const decode = (body: Uint8Array) => decodeBody(codec, body)
const encodeFrameParts = (message: unknown) => new FrameEncoder(codec).encode(message)
const roundtrip = (u: unknown) => decode(encode(u))

const u32 = (n: number): Array<number> => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]

/** A uint8 tensor of `length` (< 128) elements as a tail reference, written out from PROTOCOL.md. */
const tensorRef = (start: number, length: number): Array<number> => {
  const header = [0x92, 0xa5, ...Buffer.from("uint8"), 0x91, length]
  return [0xc7, 12 + header.length, 1, ...u32(0), ...u32(start), ...u32(length), ...header]
}

/**
 * A split body whose map is an array of tail references, with `tail` at the first multiple of 8
 * after the map (byte 32 after one reference from tensorRef, 80 after three).
 */
const splitBody = (refs: ReadonlyArray<Array<number>>, tail: ReadonlyArray<number>): Uint8Array => {
  const map = [0x90 | refs.length, ...refs.flat()]
  const body = [0xc1, ...u32(map.length), ...map]
  return Uint8Array.from([...body, ...new Array<number>((8 - (body.length % 8)) % 8).fill(0), ...tail])
}

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
    const [frame, ...rest] = encodeFrameParts({ op: "ok", seq: 1 })
    assert.strictEqual(rest.length, 0)
    assert.strictEqual(new DataView(frame!.buffer, frame!.byteOffset).getUint32(0), frame!.byteLength - 4)
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

  it("encodeFrameParts sends raw parts of 64 KiB and up in a split body's tail, from their own memory", () => {
    const big = new Float32Array(BLOB_THRESHOLD / 4 + 3).map((_, i) => i)
    const video = new Uint8Array(BLOB_THRESHOLD * 2).fill(7)
    const message = {
      op: "process",
      seq: 9,
      items: ["a", new Tensor(big, [big.length]), new Tensor(new Float32Array(4), [4]), new VideoFrame(video, 256, 512, "gray8"), 3]
    }
    const parts = encodeFrameParts(message)
    const frame = Buffer.concat(parts)
    assert.strictEqual(frame.readUInt32BE(0), frame.byteLength - 4)
    assert.strictEqual(frame[4], 0xc1)
    assert.strictEqual(parts[0]!.byteLength, 9 + frame.readUInt32BE(5)) // length, 0xC1, M and the map
    // the raw parts are the values' own memory, each starting 8-aligned in the body
    const tensorPart = parts.findIndex((p) => p.buffer === big.buffer)
    const videoPart = parts.indexOf(video)
    assert.deepStrictEqual([parts[tensorPart]!.byteOffset, parts[tensorPart]!.byteLength], [big.byteOffset, big.byteLength])
    assert.isAbove(videoPart, tensorPart)
    const bodyOffset = (i: number) => parts.slice(0, i).reduce((n, p) => n + p.byteLength, 0) - 4
    assert.strictEqual(bodyOffset(tensorPart) % 8, 0)
    assert.strictEqual(bodyOffset(videoPart) % 8, 0)
    assert.isBelow(frame.byteLength, 9 + 1024 + big.byteLength + video.byteLength) // nothing inline but the small tensor
    // decoded back exactly, the tensor as a view of the received body
    const body = new Uint8Array(frame.subarray(4))
    const out = decode(body) as typeof message
    assert.deepStrictEqual(tag(out), tag(message))
    assert.strictEqual((out.items[1] as Tensor).data.buffer, body.buffer)
    // without large raw parts, one buffer: the length, then the plain body
    assert.strictEqual(encodeFrameParts({ op: "end", seq: 1, slots: [0] }).length, 1)
    const plain = encode({ a: "x" })
    assert.deepStrictEqual(Buffer.from(encodeFrameParts({ a: "x" })[0]!), Buffer.from([...u32(plain.byteLength), ...plain]))
  })

  it("keeps each encode's tail parts its own, also for an encode that runs inside another (another worker's codec or the same)", () => {
    const big = (fill: number) => new Tensor(new Uint8Array(BLOB_THRESHOLD).fill(fill))
    const first = big(1)
    const last = big(3)
    for (const innerCodec of [new Codec(), codec]) {
      let inner: Array<Uint8Array> = []
      const nested = big(2)
      class Sneaky {
        toJSON() {
          inner = new FrameEncoder(innerCodec).encode({ nested })
          return "sneaky"
        }
      }
      const outer = new FrameEncoder(codec).encode({ first, sneaky: new Sneaky(), last })
      assert.deepStrictEqual(outer.filter((p) => p.byteLength === BLOB_THRESHOLD), [first.data, last.data])
      assert.deepStrictEqual(inner.filter((p) => p.byteLength === BLOB_THRESHOLD), [nested.data])
      const body = (parts: Array<Uint8Array>) => new Uint8Array(Buffer.concat(parts).subarray(4))
      assert.deepStrictEqual(tag(decode(body(outer))), tag({ first, sneaky: "sneaky", last }))
      assert.deepStrictEqual(tag(decode(body(inner))), tag({ nested }))
    }
  })

  it("decodes a split body's tail parts as views of the body, and copies one overlapping an earlier", () => {
    const tail = Array.from({ length: 16 }, (_, i) => i)
    const body = splitBody([tensorRef(80, 8), tensorRef(88, 8), tensorRef(80, 8)], tail)
    const [a, b, c] = decode(body) as Array<Tensor<"uint8">>
    assert.deepStrictEqual([[...a!.data], [...b!.data], [...c!.data]], [tail.slice(0, 8), tail.slice(8), tail.slice(0, 8)])
    assert.deepStrictEqual([a!.data.buffer === body.buffer, a!.data.byteOffset], [true, 80])
    assert.deepStrictEqual([b!.data.buffer === body.buffer, b!.data.byteOffset], [true, 88])
    assert.notStrictEqual(c!.data.buffer, body.buffer) // a copy: it overlaps the first
  })

  it("reports broken split bodies and tail references as CodecErrors naming the fault", () => {
    const bad = (body: Uint8Array | Array<number>, fault: RegExp) => assert.throws(() => decode(Uint8Array.from(body)), CodecError, fault)
    bad([0xc1, 0, 0], /split body of 3 bytes is shorter than its 5-byte header/)
    bad([0xc1, ...u32(9), 0x80], /map length 9 is out of range for a 6-byte body/)
    bad([0xc1, ...u32(0), 0x80], /map length 0 is out of range/)
    bad([0xc1, ...u32(1), 0x80, 0, 0], /no extension value refers to its tail/)
    bad(splitBody([tensorRef(24, 8)], new Array(8).fill(0)), /tail reference to bytes 24..32 is outside the tail \(bytes 30..40 of the body\)/)
    bad(splitBody([tensorRef(32, 16)], new Array(8).fill(0)), /bytes 32..48 is outside the tail/)
    bad(splitBody([tensorRef(36, 4)], new Array(8).fill(0)), /tail reference start 36 is not a multiple of 8/)
    bad(tensorRef(0, 0), /a tail reference \(raw offset 0\) outside a split body/)
    bad(splitBody([[0xc7, 5, 1, 0, 0, 0, 0, 0x90]], []), /tail reference of 5 bytes is shorter than its header/)
  })
})

/** A payload channel kept in memory: what was put, in order, and whether it has room. */
class MemoryBlobs {
  readonly sent: Array<Uint8Array> = []
  constructor(readonly threshold: number, readonly capacity: number, private room = Infinity) {}
  put(raw: Uint8Array): number | undefined {
    if (this.room-- <= 0) return undefined
    this.sent.push(raw.slice())
    return this.sent.length - 1
  }
  take(seq: number, length: number): Uint8Array {
    const raw = this.sent[seq]
    if (raw === undefined || raw.byteLength !== length) throw new CodecError(`payload ${seq} is missing`)
    return raw
  }
}

/** A channel whose own payloads (buffers it lent) go by reference: a shared reference names the buffer and an offset. */
class SharingBlobs extends MemoryBlobs {
  readonly own: Array<ArrayBuffer> = []
  share(raw: Uint8Array): number | undefined {
    const seq = this.own.indexOf(raw.buffer as ArrayBuffer)
    return seq < 0 ? undefined : seq
  }
  takeShared(seq: number, offset: number, length: number): Uint8Array {
    return new Uint8Array(this.own[seq]!, offset, length)
  }
}

const framed = (parts: ReadonlyArray<Uint8Array>): Uint8Array => Buffer.concat(parts).subarray(4)

describe("Codec with a payload channel (blob references)", () => {
  it("sends raw parts of the channel's threshold and up through it, the rest in the frame; decodes both", () => {
    const blobs = new MemoryBlobs(1024, 8)
    const withBlobs = new Codec(blobs)
    const big = new Tensor(new Float32Array(1000).fill(2), [10, 100])
    const small = new Tensor(new Float32Array(4).fill(3), [4])
    const parts = new FrameEncoder(withBlobs).encode({ op: "x", items: [big, small, new Audio(new Float32Array(512).fill(1), 16_000)] })
    assert.strictEqual(parts.length, 1) // no tail: the large parts went through the channel
    assert.strictEqual(blobs.sent.length, 2)
    const message = decodeBody(withBlobs, framed(parts)) as { items: [Tensor, Tensor, Audio] }
    assert.deepStrictEqual(message.items[0].shape, [10, 100])
    assert.deepStrictEqual(message.items[0].data, big.data)
    assert.deepStrictEqual(message.items[1].data, small.data)
    assert.strictEqual(message.items[2].sampleRate, 16_000)
    assert.throws(() => decodeBody(codec, framed(parts)), /blob reference \(raw offset 1\) without a payload channel/)
  })

  it("beyond the channel's capacity, or when it has no room, parts go in the frame's tail, each put once", () => {
    const blobs = new MemoryBlobs(1024, 2)
    const withBlobs = new Codec(blobs)
    const items = Array.from({ length: 5 }, (_, i) => new Tensor(new Uint8Array(BLOB_THRESHOLD).fill(i), [BLOB_THRESHOLD]))
    const parts = new FrameEncoder(withBlobs).encode({ op: "x", items })
    assert.strictEqual(blobs.sent.length, 2) // the split body's second pass replayed the first's choices
    const message = decodeBody(withBlobs, framed(parts)) as { items: Array<Tensor> }
    assert.deepStrictEqual(message.items.map((t) => t.data[0]), [0, 1, 2, 3, 4])
    const full = new MemoryBlobs(1024, 8, 1)
    const partsFull = new FrameEncoder(new Codec(full)).encode({ op: "x", items })
    assert.strictEqual(full.sent.length, 1)
    const decoded = decodeBody(new Codec(full), framed(partsFull)) as { items: Array<Tensor> }
    assert.deepStrictEqual(decoded.items.map((t) => t.data[BLOB_THRESHOLD - 1]), [0, 1, 2, 3, 4])
  })

  it("a raw part in a payload the channel shares goes as a shared reference (seq, length, offset), decoded over that memory", () => {
    const blobs = new SharingBlobs(1024, 1)
    const withBlobs = new Codec(blobs)
    const memory = new ArrayBuffer(BLOB_THRESHOLD * 2)
    blobs.own.push(new ArrayBuffer(8), memory)
    const whole = new Tensor(new Float32Array(memory).fill(5))
    const half = new Tensor(new Float32Array(memory, BLOB_THRESHOLD))
    const other = new Tensor(new Uint8Array(BLOB_THRESHOLD).fill(9))
    // more shared parts than the capacity (not counted), and the tail for what is put past it
    const parts = new FrameEncoder(withBlobs).encode({ op: "x", items: [whole, half, other, other] })
    assert.strictEqual(blobs.sent.length, 1)
    const body = framed(parts)
    const at = Buffer.from(body).indexOf(Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]))
    const view = new DataView(body.buffer, body.byteOffset + at)
    assert.deepStrictEqual([view.getUint32(8), view.getUint32(12)], [BLOB_THRESHOLD * 2, 0])
    const message = decodeBody(withBlobs, body) as { items: Array<Tensor> }
    assert.strictEqual(message.items[0]!.data.buffer, memory)
    assert.strictEqual(message.items[1]!.data.buffer, memory)
    assert.strictEqual(message.items[1]!.data.byteOffset, BLOB_THRESHOLD)
    assert.deepStrictEqual(message.items.slice(2).map((t) => t.data[0]), [9, 9])
    assert.throws(() => decodeBody(new Codec(new MemoryBlobs(1024, 1)), body), /shared reference \(raw offset 2\) on a channel without them/)
  })
})
