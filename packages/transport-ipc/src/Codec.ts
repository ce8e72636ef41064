/**
 * Codec: RuntimeData <-> msgpack, as the worker protocol specifies
 * (`python/remotemedia/worker/PROTOCOL.md`, "Data encoding"). Plain values
 * use msgpack's own types; `Tensor`, `Audio` and `VideoFrame` are extension
 * types whose raw bytes are read as typed arrays over the received frame
 * (copied only when misaligned); Python-only objects arrive as
 * {@link PickledObject}s that TypeScript forwards unopened.
 *
 * @since 0.1.0
 */
import { RuntimeData as RD } from "@remotemedia/core"
import { addExtension, Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr"

/**
 * Extension type codes of the protocol.
 *
 * @category constants
 * @since 0.1.0
 */
export const ExtType = { Tensor: 1, Audio: 2, VideoFrame: 3, Pickle: 4, BigInt: 0x42 } as const

/**
 * A Python object with no TypeScript equivalent, as the worker sent it: its
 * type name and its pickle. Sending it back to a worker gives the next Python
 * node the object itself.
 *
 * @category models
 * @since 0.1.0
 */
export class PickledObject implements RD.OpaqueValue {
  readonly _tag = "OpaqueValue"
  constructor(
    /** The Python type, e.g. `fractions.Fraction`. */
    readonly typeName: string,
    /** The cloudpickle bytes (a view of the received frame). */
    readonly pickle: Uint8Array
  ) {}
}

/**
 * A value could not be encoded, or bytes are not a valid encoding.
 *
 * @category errors
 * @since 0.1.0
 */
export class CodecError extends Error {
  override readonly name = "CodecError"
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new CodecError("@remotemedia/transport-ipc needs a little-endian host")
}

// ---------------------------------------------------------------------------
// MEDIA LAYOUT: u32 raw offset O | msgpack header | zero padding | raw bytes from O.
// This encoder makes O a multiple of 8 (Python copies each payload into a bytes
// object of its own, 16-aligned, and reads the raw part in place).
// The headers are tiny arrays of strings and unsigned ints, written and read
// here directly: msgpackr keeps module-level state and is not re-entered.
// ---------------------------------------------------------------------------

type Header = ReadonlyArray<string | number | ReadonlyArray<number>>

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true })

const headerSize = (header: Header): number => {
  let size = header.length < 16 ? 1 : 3
  for (const v of header) {
    if (typeof v === "string") {
      const n = utf8.encode(v).length
      size += (n < 32 ? 1 : 2) + n
    } else size += Array.isArray(v) ? headerSize(v as Header) : uintSize(v as number)
  }
  return size
}

const uintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9)

const writeHeader = (header: Header, out: Uint8Array, view: DataView, at: number): number => {
  if (header.length < 16) out[at++] = 0x90 | header.length
  else {
    out[at++] = 0xdc
    view.setUint16(at, header.length)
    at += 2
  }
  for (const v of header) {
    if (typeof v === "string") {
      const bytes = utf8.encode(v)
      if (bytes.length > 0xff) throw new CodecError(`header string too long: ${v.slice(0, 40)}...`)
      if (bytes.length < 32) out[at++] = 0xa0 | bytes.length
      else {
        out[at++] = 0xd9
        out[at++] = bytes.length
      }
      out.set(bytes, at)
      at += bytes.length
    } else if (Array.isArray(v)) at = writeHeader(v as Header, out, view, at)
    else at = writeUint(v as number, out, view, at)
  }
  return at
}

const writeUint = (n: number, out: Uint8Array, view: DataView, at: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new CodecError(`header value must be an unsigned integer, got ${n}`)
  if (n < 0x80) out[at++] = n
  else if (n < 0x100) {
    out[at++] = 0xcc
    out[at++] = n
  } else if (n < 0x10000) {
    out[at++] = 0xcd
    view.setUint16(at, n)
    at += 2
  } else if (n < 0x100000000) {
    out[at++] = 0xce
    view.setUint32(at, n)
    at += 4
  } else {
    out[at++] = 0xcf
    view.setBigUint64(at, BigInt(n))
    at += 8
  }
  return at
}

type Allocate = (size: number) => { target: Uint8Array; targetView: DataView; position: number }

/**
 * Raw parts of at least this many bytes are not copied into the message when
 * it is encoded for sending ({@link encodeFrameParts}): they are written from
 * their own memory, as separate buffers.
 *
 * @category constants
 * @since 0.1.0
 */
export const BLOB_THRESHOLD = 64 * 1024

// While encodeFrameParts runs: the large raw parts left out, in order. In their place the
// packed bytes hold TOKEN + u32 index (the ext header before it already counts the raw bytes).
let blobs: Array<Uint8Array> | undefined
const TOKEN = new Uint8Array([0xc1, 0x52, 0x4d, 0x42, 0x4c, 0x4f, 0x42, ...globalThis.crypto.getRandomValues(new Uint8Array(9))])
const MARK = TOKEN.byteLength + 4

/** Writes a whole extension value (ext header, media-layout payload) into msgpackr's buffer. */
const writeMedia = (type: number, header: Header, raw: Uint8Array, allocate: Allocate): void => {
  const hlen = headerSize(header)
  const start = 4 + hlen
  const offset = start + ((8 - (start % 8)) % 8)
  const length = offset + raw.byteLength
  const extHead = length === 8 || length === 16 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 6
  const deferred = blobs !== undefined && raw.byteLength >= BLOB_THRESHOLD
  const { target, targetView, position } = allocate(extHead + (deferred ? offset + MARK : length))
  let at = position
  if (length === 8 || length === 16) target[at++] = length === 8 ? 0xd7 : 0xd8
  else if (length < 0x100) {
    target[at++] = 0xc7
    target[at++] = length
  } else if (length < 0x10000) {
    target[at++] = 0xc8
    targetView.setUint16(at, length)
    at += 2
  } else {
    target[at++] = 0xc9
    targetView.setUint32(at, length)
    at += 4
  }
  target[at++] = type
  const base = at
  targetView.setUint32(at, offset)
  at = writeHeader(header, target, targetView, at + 4)
  target.fill(0, at, base + offset)
  if (deferred) {
    target.set(TOKEN, base + offset)
    targetView.setUint32(base + offset + TOKEN.byteLength, blobs!.length)
    blobs!.push(raw)
  } else target.set(raw, base + offset)
}

class HeaderReader {
  at = 0
  constructor(readonly bytes: Uint8Array, readonly view: DataView) {}
  value(): string | number | Array<unknown> {
    const b = this.bytes[this.at++]!
    const v = this.view
    if (b < 0x80) return b
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f)
    if ((b & 0xe0) === 0xa0) return this.str(b & 0x1f)
    switch (b) {
      case 0xcc:
        return this.bytes[this.at++]!
      case 0xcd:
        return (this.at += 2, v.getUint16(this.at - 2))
      case 0xce:
        return (this.at += 4, v.getUint32(this.at - 4))
      case 0xcf:
        return (this.at += 8, Number(v.getBigUint64(this.at - 8)))
      case 0xd9:
        return this.str(this.bytes[this.at++]!)
      case 0xda:
        return this.str((this.at += 2, v.getUint16(this.at - 2)))
      case 0xdc:
        return this.array((this.at += 2, v.getUint16(this.at - 2)))
    }
    throw new CodecError(`unexpected byte 0x${b.toString(16)} in an extension header`)
  }
  str(n: number): string {
    this.at += n
    return utf8Decoder.decode(this.bytes.subarray(this.at - n, this.at))
  }
  array(n: number): Array<unknown> {
    const out: Array<unknown> = []
    for (let i = 0; i < n; i++) out.push(this.value())
    return out
  }
}

/** Splits a media-layout payload into its header and the offset of its raw bytes. */
const readMedia = (payload: Uint8Array): { header: Array<unknown>; offset: number } => {
  if (payload.byteLength < 4) throw new CodecError(`extension payload of ${payload.byteLength} bytes is shorter than its header`)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const offset = view.getUint32(0)
  if (offset < 5 || offset > payload.byteLength) {
    throw new CodecError(`extension raw offset ${offset} is outside its ${payload.byteLength}-byte payload`)
  }
  const reader = new HeaderReader(payload.subarray(4, offset), new DataView(payload.buffer, payload.byteOffset + 4, offset - 4))
  let header: unknown
  try {
    header = reader.value()
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`invalid extension header: ${(e as Error).message}`)
  }
  if (!Array.isArray(header)) throw new CodecError("extension header must be an array")
  return { header, offset }
}

// ---------------------------------------------------------------------------
// TYPED ARRAYS
// ---------------------------------------------------------------------------

const arrayTypes = RD.TypedArrayConstructors

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

/** A typed array over `bytes`: a view when aligned, else a copy. */
const typedView = <K extends keyof typeof arrayTypes>(dtype: K, bytes: Uint8Array): InstanceType<(typeof arrayTypes)[K]> => {
  const Ctor = arrayTypes[dtype]
  const size = Ctor.BYTES_PER_ELEMENT
  if (bytes.byteLength % size !== 0) {
    throw new CodecError(`${bytes.byteLength} bytes are not whole ${dtype} elements`)
  }
  const source = bytes.byteOffset % size === 0 ? bytes : bytes.slice()
  return new Ctor(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size) as InstanceType<(typeof arrayTypes)[K]>
}

// ---------------------------------------------------------------------------
// EXTENSIONS
// ---------------------------------------------------------------------------

const isDType = (u: unknown): u is RD.DType => typeof u === "string" && u in arrayTypes

addExtension({
  Class: RD.Tensor,
  type: ExtType.Tensor,
  pack(t: RD.Tensor, allocate: Allocate) {
    writeMedia(ExtType.Tensor, [t.dtype, t.shape], bytesOf(t.data), allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, offset } = readMedia(payload)
    const [dtype, shape] = header
    if (!isDType(dtype) || !Array.isArray(shape)) throw new CodecError(`invalid tensor header ${JSON.stringify(header)}`)
    return new RD.Tensor(typedView(dtype, payload.subarray(offset)), shape as Array<number>)
  }
} as never)

addExtension({
  Class: RD.Audio,
  type: ExtType.Audio,
  pack(a: RD.Audio, allocate: Allocate) {
    writeMedia(ExtType.Audio, [a.sampleRate, a.channels], bytesOf(a.samples), allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, offset } = readMedia(payload)
    return new RD.Audio(typedView("float32", payload.subarray(offset)), header[0] as number, header[1] as number)
  }
} as never)

addExtension({
  Class: RD.VideoFrame,
  type: ExtType.VideoFrame,
  pack(f: RD.VideoFrame, allocate: Allocate) {
    writeMedia(ExtType.VideoFrame, [f.width, f.height, f.format], f.data, allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, offset } = readMedia(payload)
    return new RD.VideoFrame(payload.subarray(offset), header[0] as number, header[1] as number, header[2] as RD.PixelFormat)
  }
} as never)

addExtension({
  Class: PickledObject,
  type: ExtType.Pickle,
  pack(p: PickledObject, allocate: Allocate) {
    writeMedia(ExtType.Pickle, [p.typeName], p.pickle, allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, offset } = readMedia(payload)
    return new PickledObject(String(header[0]), payload.subarray(offset))
  }
} as never)

// ---------------------------------------------------------------------------
// ENCODING AND DECODING
// ---------------------------------------------------------------------------

const INT32_MIN = -0x80000000
const UINT32_MAX = 0xffffffff

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * What msgpackr cannot be told by an option: whole numbers beyond 32 bits go
 * out as int64 (msgpackr would write a float64), and foreign opaque values are
 * refused. Returns the same object when nothing had to change.
 */
const prepare = (value: unknown): unknown => {
  switch (typeof value) {
    case "number":
      return Number.isSafeInteger(value) && (value < INT32_MIN || value > UINT32_MAX) ? BigInt(value) : value
    case "object": {
      if (value === null || value instanceof Uint8Array) return value
      if (ArrayBuffer.isView(value)) {
        throw new CodecError(
          `cannot send a bare ${value.constructor.name} to a Python worker: wrap it in a Tensor (dtype and shape)`
        )
      }
      if (Array.isArray(value)) {
        let copy: Array<unknown> | undefined
        for (let i = 0; i < value.length; i++) {
          const v = value[i]
          const p = typeof v === "object" || typeof v === "number" ? prepare(v) : v
          if (p !== v) (copy ??= value.slice())[i] = p
        }
        return copy ?? value
      }
      if (value instanceof RD.Tensor || value instanceof RD.Audio || value instanceof RD.VideoFrame || value instanceof PickledObject) {
        return value
      }
      if ((value as { _tag?: unknown })._tag === "OpaqueValue") {
        throw new CodecError(
          `cannot send an opaque ${(value as RD.OpaqueValue).typeName} value to a Python worker: it belongs to another runtime`
        )
      }
      if (!isPlainObject(value)) return value
      let copy: Record<string, unknown> | undefined
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key]
        const p = typeof v === "object" || typeof v === "number" ? prepare(v) : v
        if (p !== v) (copy ??= { ...(value as Record<string, unknown>) })[key] = p
      }
      return copy ?? value
    }
    default:
      return value
  }
}

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  encodeUndefinedAsNil: true,
  useBigIntExtension: true,
  int64AsType: "auto",
  mapsAsObjects: true
} as never)

const unpackr = new Unpackr({
  useRecords: false,
  moreTypes: false,
  int64AsType: "auto",
  mapsAsObjects: true
} as never)

/** Writes a frame's 4-byte big-endian length in place (cheaper than a DataView per frame). */
const writeLength = (frame: Uint8Array, length: number): void => {
  frame[0] = length >>> 24
  frame[1] = (length >>> 16) & 0xff
  frame[2] = (length >>> 8) & 0xff
  frame[3] = length & 0xff
}

/**
 * Encodes one message as a whole frame: 4-byte big-endian length, then the
 * msgpack body (written in place, no concatenation).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeFrame = (message: unknown): Uint8Array => {
  let buffer: Uint8Array
  try {
    buffer = packr.pack(prepare(message), RESERVE_START_SPACE | 4) as Uint8Array
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`cannot encode message: ${(e as Error).message}`)
  }
  const length = buffer.byteLength - 4
  if (length > 0xffffffff) throw new CodecError(`frame body of ${length} bytes exceeds the 4 GiB limit`)
  writeLength(buffer, length)
  return buffer
}

/**
 * Encodes one message as a whole frame in several buffers, to be written in
 * order (gathered): large raw parts ({@link BLOB_THRESHOLD} bytes and up) are
 * the values' own memory, not copies. The concatenation is exactly
 * {@link encodeFrame}'s result.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeFrameParts = (message: unknown): Array<Uint8Array> => {
  const pending: Array<Uint8Array> = []
  blobs = pending
  let packed: Uint8Array
  try {
    packed = packr.pack(prepare(message), RESERVE_START_SPACE | 4) as Uint8Array
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`cannot encode message: ${(e as Error).message}`)
  } finally {
    blobs = undefined
  }
  let length = packed.byteLength - 4
  if (pending.length === 0) {
    if (length > 0xffffffff) throw new CodecError(`frame body of ${length} bytes exceeds the 4 GiB limit`)
    writeLength(packed, length)
    return [packed]
  }
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength)
  const parts: Array<Uint8Array> = []
  let from = 0
  for (let i = 0; i < pending.length; i++) {
    const at = bytes.indexOf(TOKEN, from)
    if (at < 0 || bytes.readUInt32BE(at + TOKEN.byteLength) !== i) throw new CodecError("internal error: a raw part's placeholder is missing")
    parts.push(packed.subarray(from, at), pending[i]!)
    length += pending[i]!.byteLength - MARK
    from = at + MARK
  }
  parts.push(packed.subarray(from))
  if (length > 0xffffffff) throw new CodecError(`frame body of ${length} bytes exceeds the 4 GiB limit`)
  writeLength(packed, length)
  return parts
}

/**
 * Encodes one value (a message or RuntimeData) as a msgpack body.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (value: unknown): Uint8Array => encodeFrame(value).subarray(4)

/**
 * Decodes one msgpack body. Binary values and media data are views of
 * `body` (typed arrays are copied only when misaligned).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (body: Uint8Array): unknown => {
  const plain = Object.getPrototypeOf(body) === Uint8Array.prototype ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  try {
    return unpackr.unpack(plain)
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`invalid msgpack: ${(e as Error).message}`)
  }
}
