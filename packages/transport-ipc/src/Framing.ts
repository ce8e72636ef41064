/**
 * Framing: splits the worker's reply stream into frames (4-byte big-endian
 * length, then the body). A large frame is assembled in one buffer of its
 * announced size, so its bytes are copied once out of the socket chunks.
 *
 * @since 0.1.0
 */

/**
 * The stream broke the framing rules.
 *
 * @category errors
 * @since 0.1.0
 */
export class FramingError extends Error {
  override readonly name = "FramingError"
}

/**
 * Incremental frame decoder.
 *
 * @category decoding
 * @since 0.1.0
 */
export class FrameDecoder {
  private header = new Uint8Array(4)
  private headerFill = 0
  private body: Uint8Array | undefined
  private bodyFill = 0

  /** Creates a decoder that refuses frames announcing more than `maxFrameBytes`. */
  constructor(readonly maxFrameBytes: number = 0xffffffff) {}

  /** Feeds a chunk; returns the frame bodies it completed, in order. */
  push(chunk: Uint8Array): Array<Uint8Array> {
    const frames: Array<Uint8Array> = []
    let at = 0
    while (at < chunk.byteLength) {
      if (this.body === undefined) {
        if (this.headerFill === 0 && chunk.byteLength - at >= 4) {
          const length = readLength(chunk, at)
          at += 4
          if (chunk.byteLength - at >= length) {
            this.check(length)
            // The whole frame is inside this chunk: a view, no copy.
            frames.push(new Uint8Array(chunk.buffer, chunk.byteOffset + at, length))
            at += length
            continue
          }
          this.start(length)
        } else {
          const take = Math.min(4 - this.headerFill, chunk.byteLength - at)
          this.header.set(chunk.subarray(at, at + take), this.headerFill)
          this.headerFill += take
          at += take
          if (this.headerFill < 4) break
          this.start(readLength(this.header, 0))
        }
      }
      const body = this.body!
      const take = Math.min(body.byteLength - this.bodyFill, chunk.byteLength - at)
      body.set(chunk.subarray(at, at + take), this.bodyFill)
      this.bodyFill += take
      at += take
      if (this.bodyFill === body.byteLength) {
        frames.push(body)
        this.body = undefined
        this.headerFill = 0
      }
    }
    return frames
  }

  /** Call at end of stream: fails when it ended inside a frame. */
  end(): void {
    if (this.body !== undefined) {
      throw new FramingError(`truncated frame: stream ended after ${this.bodyFill} of ${this.body.byteLength} announced bytes`)
    }
    if (this.headerFill > 0) {
      throw new FramingError(`truncated frame: stream ended after ${this.headerFill} of 4 header bytes`)
    }
  }

  /** Bytes of an unfinished frame held so far. */
  get pending(): number {
    return this.body === undefined ? this.headerFill : 4 + this.bodyFill
  }

  private check(length: number): void {
    if (length === 0) throw new FramingError("empty frame: a frame body holds one msgpack map")
    if (length > this.maxFrameBytes) {
      throw new FramingError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`)
    }
  }

  private start(length: number): void {
    this.check(length)
    // Every byte is overwritten from the stream before the body is handed out: no zero-fill.
    const bytes = Buffer.allocUnsafeSlow(length)
    this.body = new Uint8Array(bytes.buffer, bytes.byteOffset, length)
    this.bodyFill = 0
    this.headerFill = 4
  }
}

const readLength = (bytes: Uint8Array, at: number): number =>
  ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!
