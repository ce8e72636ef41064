/**
 * Framing: splits the worker's reply stream into frames (4-byte big-endian
 * length, then the body). The decoder tells the socket where to read next
 * (`net.Socket`'s `onread`): into a reused read buffer between frames, and
 * straight into a frame's own buffer once its header announced more bytes
 * than have arrived, so a large body is never copied after the kernel's read.
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
 * Size of the reused read buffer: a frame that arrives whole within one read
 * of it is copied out (small replies); a longer one gets a buffer of its own.
 *
 * @category constants
 * @since 0.1.0
 */
export const READ_BUFFER_BYTES = 64 * 1024

/**
 * Incremental frame decoder, driven by reads into the memory it hands out.
 *
 * @category decoding
 * @since 0.1.0
 */
export class FrameDecoder {
  private readonly scratch = new Uint8Array(READ_BUFFER_BYTES)
  private readonly header = new Uint8Array(4)
  private headerFill = 0
  private body: Uint8Array | undefined
  private bodyFill = 0

  /** Creates a decoder that refuses frames announcing more than `maxFrameBytes`. */
  constructor(readonly maxFrameBytes: number = 0xffffffff) {}

  /**
   * Where the next read goes: the unfilled rest of the frame being received,
   * else the reused read buffer. Pass the byte count read to {@link filled}.
   */
  buffer(): Uint8Array {
    return this.body === undefined ? this.scratch : this.body.subarray(this.bodyFill)
  }

  /**
   * `n` bytes were read into the last {@link buffer}; returns the frame
   * bodies completed, in order, each in memory of its own (never the reused
   * read buffer).
   */
  filled(n: number): Array<Uint8Array> {
    if (this.body !== undefined) {
      this.bodyFill += n
      return this.bodyFill === this.body.byteLength ? [this.finish()] : []
    }
    const frames: Array<Uint8Array> = []
    const chunk = this.scratch
    let at = 0
    while (at < n) {
      if (this.headerFill === 0 && n - at >= 4) {
        const length = readLength(chunk, at)
        at += 4
        this.check(length)
        if (n - at >= length) {
          frames.push(chunk.slice(at, at + length))
          at += length
          continue
        }
        this.start(length)
      } else {
        const take = Math.min(4 - this.headerFill, n - at)
        this.header.set(chunk.subarray(at, at + take), this.headerFill)
        this.headerFill += take
        at += take
        if (this.headerFill < 4) break
        this.headerFill = 0
        const length = readLength(this.header, 0)
        this.check(length)
        this.start(length)
      }
      // The rest of this read belongs to the new frame; later reads go straight into it.
      const body = this.body!
      const take = Math.min(body.byteLength, n - at)
      body.set(chunk.subarray(at, at + take))
      this.bodyFill = take
      at += take
      if (take === body.byteLength) frames.push(this.finish())
    }
    return frames
  }

  /** Feeds bytes that were read elsewhere; returns the frame bodies they completed. */
  push(chunk: Uint8Array): Array<Uint8Array> {
    const frames: Array<Uint8Array> = []
    for (let at = 0; at < chunk.byteLength;) {
      const into = this.buffer()
      const n = Math.min(into.byteLength, chunk.byteLength - at)
      into.set(chunk.subarray(at, at + n))
      at += n
      frames.push(...this.filled(n))
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
    // Every byte is overwritten from the stream before the body is handed out: no zero-fill.
    const bytes = Buffer.allocUnsafeSlow(length)
    this.body = new Uint8Array(bytes.buffer, bytes.byteOffset, length)
  }

  private finish(): Uint8Array {
    const body = this.body!
    this.body = undefined
    this.bodyFill = 0
    return body
  }
}

const readLength = (bytes: Uint8Array, at: number): number =>
  ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!
