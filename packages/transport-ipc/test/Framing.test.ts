// Framing: frames split across chunks, several per chunk, truncated and oversized frames.
import { assert, describe, it } from "@effect/vitest"
import { FrameDecoder, FramingError } from "../src/Framing.js"

const frame = (body: Array<number>) => Uint8Array.from([0, 0, (body.length >> 8) & 0xff, body.length & 0xff, ...body])

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

  it("hands out a frame inside one chunk as a view, without copying", () => {
    const chunk = frame([9, 9])
    const [body] = new FrameDecoder().push(chunk)
    assert.strictEqual(body!.buffer, chunk.buffer)
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
