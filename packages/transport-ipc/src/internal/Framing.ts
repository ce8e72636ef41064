/**
 * Framing: frames in both directions (PROTOCOL.md, "Frames"): a 4-byte
 * big-endian length, then the body, a plain body (one msgpack map) or a split
 * body (`0xC1 | u32 M | map | tail`, large raw parts in the tail).
 *
 * {@link FrameEncoder} turns a message into the buffers of one frame, to be
 * written gathered: the header is written in place before the packed map and
 * raw parts in a split body's tail are the values' own memory. The
 * {@link FrameDecoder} tells the socket where to read next (`net.Socket`'s
 * `onread`): into a reused read buffer between frames, and straight into a
 * frame's own buffer once its header announced more bytes than have arrived,
 * so a large body is never copied after the kernel's read; a header
 * announcing more than the cap is refused before anything is allocated.
 * {@link decodeBody} reads a received body back into its message.
 *
 * @since 0.1.0
 */
import { BLOB_THRESHOLD, type BlobPlace, type Codec, CodecError } from "./Codec.js"

/**
 * The largest body a 4-byte length can announce.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_FRAME_BYTES = 0xffffffff

/**
 * The default cap on a frame body (1 GiB): far above the 64 MiB payloads that
 * are routine, far below what a corrupt length could make a receiver allocate.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024 * 1024

/** The first byte of a split body (the one byte msgpack never uses). */
const SPLIT_BODY = 0xc1

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
  constructor(readonly maxFrameBytes: number = MAX_FRAME_BYTES) {}

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

  private check(length: number): void {
    if (length === 0) throw new FramingError("empty frame: a frame body holds one msgpack map")
    if (length > this.maxFrameBytes) {
      throw new FramingError(`a frame announcing ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes (maxFrameBytes)`)
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

// ---------------------------------------------------------------------------
// ENCODING
// ---------------------------------------------------------------------------

/** Writes a 4-byte big-endian unsigned integer in place (cheaper than a DataView per frame). */
const writeUint32 = (bytes: Uint8Array, at: number, value: number): void => {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

/** The zero padding before a raw part of a split body's tail (never written to). */
const ZEROS = new Uint8Array(7)

/**
 * Encodes messages as frames, each in one or more buffers to be written in
 * order (gathered).
 *
 * @category encoding
 * @since 0.1.0
 */
export class FrameEncoder {
  /**
   * A body longer than `maxFrameBytes` is refused (a {@link CodecError}: the
   * receiver would refuse it); raw parts of `threshold` bytes and up go to a
   * split body's tail.
   */
  constructor(
    private readonly codec: Codec,
    readonly maxFrameBytes: number = MAX_FRAME_BYTES,
    readonly threshold: number = BLOB_THRESHOLD
  ) {}

  /**
   * One frame: without raw parts of `threshold` bytes or more, one buffer
   * (length, then the packed map, written in place). With some, the body is a
   * split body: `0xC1 | u32 M | the msgpack map (M bytes) | tail`, those parts
   * being tail references in the map and, in the tail, the values' own memory
   * (not copies), each 8-aligned in the body.
   */
  encode(message: unknown): Array<Uint8Array> {
    const threshold = this.threshold
    const first = { threshold, parts: [] as Array<Uint8Array>, blobs: [] as Array<BlobPlace | undefined> }
    const plain = this.codec.pack(message, 4, first)
    const mapLength = plain.byteLength - 4
    if (first.parts.length === 0) {
      this.check(mapLength)
      writeUint32(plain, 0, mapLength)
      return [plain]
    }
    // The tail references' starts depend on the map's length M, known now: a second pass writes
    // them into a map of the same length (they are fixed-size fields).
    let end = 5 + mapLength
    const starts = first.parts.map((raw) => {
      const start = end + ((8 - (end % 8)) % 8)
      end = start + raw.byteLength
      return start
    })
    this.check(end)
    const second = { threshold, parts: [] as Array<Uint8Array>, starts, blobs: first.blobs }
    const head = this.codec.pack(message, 9, second)
    if (head.byteLength !== 9 + mapLength || second.parts.length !== starts.length) {
      throw new CodecError("internal error: the message packed differently the second time")
    }
    writeUint32(head, 0, end)
    head[4] = SPLIT_BODY
    writeUint32(head, 5, mapLength)
    const parts = [head]
    let at = 5 + mapLength
    for (let i = 0; i < starts.length; i++) {
      if (starts[i]! > at) parts.push(ZEROS.subarray(0, starts[i]! - at))
      parts.push(second.parts[i]!)
      at = starts[i]! + second.parts[i]!.byteLength
    }
    return parts
  }

  private check(length: number): void {
    if (length > this.maxFrameBytes) {
      throw new CodecError(`a frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes (maxFrameBytes)`)
    }
  }
}

// ---------------------------------------------------------------------------
// DECODING A BODY
// ---------------------------------------------------------------------------

/**
 * Decodes one frame body, plain or split, into its message. Binary values
 * and media data are views of `body` (typed arrays are copied only when
 * misaligned; a tail part also when it does not start after the earlier ones
 * end).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeBody = (codec: Codec, body: Uint8Array): unknown => {
  const plain = Object.getPrototypeOf(body) === Uint8Array.prototype ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (plain[0] !== SPLIT_BODY) return codec.unpack(plain)
  if (plain.byteLength < 5) throw new CodecError(`split body of ${plain.byteLength} bytes is shorter than its 5-byte header`)
  const mapLength = new DataView(plain.buffer, plain.byteOffset + 1, 4).getUint32(0)
  if (mapLength === 0 || mapLength > plain.byteLength - 5) {
    throw new CodecError(`split body: map length ${mapLength} is out of range for a ${plain.byteLength}-byte body`)
  }
  return codec.unpack(plain.subarray(5, 5 + mapLength), { body: plain, tailStart: 5 + mapLength })
}
