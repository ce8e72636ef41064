// Framing: frames split across reads, several per read, direct reads into large frames, truncated and oversized frames; the encoder's cap.
import { assert, describe, it } from "@effect/vitest"
import { Tensor } from "@remotemedia/core"
import { Codec, CodecError } from "../src/internal/Codec.js"
import { FrameDecoder, FrameEncoder, FramingError, READ_BUFFER_BYTES } from "../src/internal/Framing.js"

const frame = (body: Array<number>) => {
  const n = body.length
  return Uint8Array.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, ...body])
}

describe("FrameDecoder", () => {
  it("returns whole frames however the bytes are chunked", () => {
    const bytes = Uint8Array.from([...frame([1, 2, 3]), ...frame([4]), ...frame(Array.from({ length: 300 }, (_, i) => i & 0xff))])
    for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
      const decoder = new FrameDecoder()
      const out: Array<Array<number>> = []
      for (let at = 0; at < bytes.length; at += size) out.push(...decoder.push(bytes.subarray(at, at + size)).map((f) => [...f]))
      assert.deepStrictEqual(out.map((f) => f.length), [3, 1, 300], `chunk size ${size}`)
      assert.deepStrictEqual(out[0], [1, 2, 3])
      decoder.end()
    }
  })

  it("copies a frame that arrived whole out of the reused read buffer", () => {
    const decoder = new FrameDecoder()
    const into = decoder.buffer()
    into.set(frame([9, 9]))
    const [body] = decoder.filled(6)
    assert.notStrictEqual(body!.buffer, into.buffer)
    decoder.buffer().set(frame([7, 7])) // the next read reuses the same memory
    assert.deepStrictEqual([...body!], [9, 9])
  })

  it("reads the rest of a longer frame straight into the frame's own buffer", () => {
    const decoder = new FrameDecoder()
    const body = Array.from({ length: READ_BUFFER_BYTES * 3 }, (_, i) => (i * 7) & 0xff)
    const bytes = Uint8Array.from([...frame(body), ...frame([5])])
    decoder.buffer().set(bytes.subarray(0, 100))
    assert.deepStrictEqual(decoder.filled(100), [])
    const rest = decoder.buffer()
    assert.strictEqual(rest.byteLength, body.length - 96, "exactly the missing bytes: a read cannot run past the frame")
    rest.set(bytes.subarray(100, 4 + body.length))
    const [whole] = decoder.filled(rest.byteLength)
    assert.strictEqual(whole!.buffer, rest.buffer, "the bytes were read into the frame's memory, not copied")
    assert.deepStrictEqual([...whole!], body)
    assert.strictEqual(decoder.buffer().byteLength, READ_BUFFER_BYTES, "between frames, reads go to the read buffer again")
    assert.deepStrictEqual(decoder.push(bytes.subarray(4 + body.length)).map((f) => [...f]), [[5]])
  })

  it("reports a stream that ends inside the header or the body", () => {
    const inHeader = new FrameDecoder()
    inHeader.push(Uint8Array.from([0, 0]))
    assert.throws(() => inHeader.end(), FramingError, /after 2 of 4 header bytes/)
    const inBody = new FrameDecoder()
    inBody.push(Uint8Array.from([0, 0, 0, 5, 1]))
    assert.throws(() => inBody.end(), FramingError, /after 1 of 5 announced bytes/)
  })

  it("refuses empty frames and frames over the limit", () => {
    assert.throws(() => new FrameDecoder().push(Uint8Array.from([0, 0, 0, 0])), FramingError, /empty frame/)
    assert.throws(() => new FrameDecoder(10).push(Uint8Array.from([0, 0, 0, 11])), FramingError, /exceeds the limit of 10/)
  })
})

describe("FrameEncoder", () => {
  it("refuses a frame longer than its cap, plain or split, and writes one of exactly the cap", () => {
    const codec = new Codec()
    const message = { s: "x".repeat(200) }
    const size = codec.encode(message).byteLength
    assert.throws(() => new FrameEncoder(codec, size - 1).encode(message), CodecError, new RegExp(`a frame of ${size} bytes exceeds the limit of ${size - 1} bytes`))
    assert.strictEqual(new FrameEncoder(codec, size).encode(message)[0]!.byteLength, 4 + size)
    const split = new FrameEncoder(codec, 1000, 16)
    assert.throws(() => split.encode({ t: new Tensor(new Uint8Array(2000)) }), CodecError, /exceeds the limit of 1000 bytes/)
    assert.isAbove(split.encode({ t: new Tensor(new Uint8Array(500)) }).length, 1)
  })
})
