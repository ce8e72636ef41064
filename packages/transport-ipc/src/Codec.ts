/**
 * Codec: RuntimeData <-> msgpack, as the worker protocol specifies
 * (`python/remotemedia/worker/PROTOCOL.md`, "Data encoding"). Plain values
 * use msgpack's own types; `Tensor`, `Audio` and `VideoFrame` are extension
 * types whose raw bytes are read as typed arrays over the received frame
 * (copied only when misaligned); Python-only objects arrive as
 * {@link PickledObject}s that TypeScript forwards unopened. Large raw parts
 * are sent in the tail of a split body, from their own memory.
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
// MEDIA LAYOUT. A payload is inline: u32 raw offset O | msgpack header | zero
// padding | raw bytes from O (this encoder makes O a multiple of 8: Python's
// msgpack copies each inline payload into a 16-aligned bytes object of its own);
// or, in a split body only, a tail reference: u32 0 | u32 start | u32 length |
// msgpack header, the raw bytes being body[start, start + length).
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
 * it is encoded for sending ({@link encodeFrameParts}): they go to the tail of
 * a split body, written from their own memory.
 *
 * @category constants
 * @since 0.1.0
 */
export const BLOB_THRESHOLD = 64 * 1024

/** The first byte of a split body (the one byte msgpack never uses). */
const SPLIT_BODY = 0xc1

/**
 * While encodeFrameParts packs a message: raw parts of `threshold` bytes and up
 * are written as tail references and collected in `parts`, in order; `starts`
 * (known on the second pass only) holds where each one starts in the body.
 */
let tail: { readonly threshold: number; readonly parts: Array<Uint8Array>; readonly starts?: ReadonlyArray<number> } | undefined

/** Writes a whole extension value (ext header, media-layout payload) into msgpackr's buffer. */
const writeMedia = (type: number, header: Header, raw: Uint8Array, allocate: Allocate): void => {
  const hlen = headerSize(header)
  const toTail = tail !== undefined && raw.byteLength >= tail.threshold ? tail : undefined
  const start = 4 + hlen
  const offset = start + ((8 - (start % 8)) % 8)
  const length = toTail ? 12 + hlen : offset + raw.byteLength
  const extHead = length === 8 || length === 16 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 6
  const { target, targetView, position } = allocate(extHead + length)
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
  if (toTail) {
    targetView.setUint32(at, 0)
    targetView.setUint32(at + 4, toTail.starts?.[toTail.parts.length] ?? 0)
    targetView.setUint32(at + 8, raw.byteLength)
    writeHeader(header, target, targetView, at + 12)
    toTail.parts.push(raw)
    return
  }
  const base = at
  targetView.setUint32(at, offset)
  at = writeHeader(header, target, targetView, at + 4)
  target.fill(0, at, base + offset)
  target.set(raw, base + offset)
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

/**
 * While decode reads a split body: the body, where its tail starts, how many
 * tail references were read and the end of the furthest one.
 */
let split: { readonly body: Uint8Array; readonly tailStart: number; refs: number; end: number } | undefined

/** Reads a media payload: its header and its raw bytes (a view of the body). */
const readMedia = (payload: Uint8Array): { header: Array<unknown>; raw: Uint8Array } => {
  if (payload.byteLength < 4) throw new CodecError(`extension payload of ${payload.byteLength} bytes is shorter than its header`)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const offset = view.getUint32(0)
  if (offset === 0) {
    if (split === undefined) throw new CodecError("a tail reference (raw offset 0) outside a split body")
    if (payload.byteLength < 13) throw new CodecError(`tail reference of ${payload.byteLength} bytes is shorter than its header`)
    const start = view.getUint32(4)
    const end = start + view.getUint32(8)
    const { body, tailStart } = split
    if (start < tailStart || end > body.byteLength) {
      throw new CodecError(`tail reference to bytes ${start}..${end} is outside the tail (bytes ${tailStart}..${body.byteLength} of the body)`)
    }
    if (start % 8 !== 0) throw new CodecError(`tail reference start ${start} is not a multiple of 8`)
    // Typed arrays cannot be read-only: a reference that does not start after every earlier one
    // ends (it may overlap one) is copied, so no two values share memory.
    const raw = start < split.end ? body.slice(start, end) : body.subarray(start, end)
    split.refs++
    split.end = Math.max(split.end, end)
    return { header: readHeader(payload, 12, payload.byteLength), raw }
  }
  if (offset < 5 || offset > payload.byteLength) {
    throw new CodecError(`extension raw offset ${offset} is outside its ${payload.byteLength}-byte payload`)
  }
  return { header: readHeader(payload, 4, offset), raw: payload.subarray(offset) }
}

/** Reads the msgpack array at `payload[from]` (bytes up to `to` that follow it are padding). */
const readHeader = (payload: Uint8Array, from: number, to: number): Array<unknown> => {
  const reader = new HeaderReader(payload.subarray(from, to), new DataView(payload.buffer, payload.byteOffset + from, to - from))
  let header: unknown
  try {
    header = reader.value()
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`invalid extension header: ${(e as Error).message}`)
  }
  if (!Array.isArray(header)) throw new CodecError("extension header must be an array")
  return header
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
    const { header, raw } = readMedia(payload)
    const [dtype, shape] = header
    if (!isDType(dtype) || !Array.isArray(shape)) throw new CodecError(`invalid tensor header ${JSON.stringify(header)}`)
    return new RD.Tensor(typedView(dtype, raw), shape as Array<number>)
  }
} as never)

addExtension({
  Class: RD.Audio,
  type: ExtType.Audio,
  pack(a: RD.Audio, allocate: Allocate) {
    writeMedia(ExtType.Audio, [a.sampleRate, a.channels], bytesOf(a.samples), allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, raw } = readMedia(payload)
    return new RD.Audio(typedView("float32", raw), header[0] as number, header[1] as number)
  }
} as never)

addExtension({
  Class: RD.VideoFrame,
  type: ExtType.VideoFrame,
  pack(f: RD.VideoFrame, allocate: Allocate) {
    writeMedia(ExtType.VideoFrame, [f.width, f.height, f.format], f.data, allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, raw } = readMedia(payload)
    return new RD.VideoFrame(raw, header[0] as number, header[1] as number, header[2] as RD.PixelFormat)
  }
} as never)

addExtension({
  Class: PickledObject,
  type: ExtType.Pickle,
  pack(p: PickledObject, allocate: Allocate) {
    writeMedia(ExtType.Pickle, [p.typeName], p.pickle, allocate)
  },
  unpack(payload: Uint8Array) {
    const { header, raw } = readMedia(payload)
    return new PickledObject(String(header[0]), raw)
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

/** Writes a 4-byte big-endian unsigned integer in place (cheaper than a DataView per frame). */
const writeUint32 = (bytes: Uint8Array, at: number, value: number): void => {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

/** Packs a prepared message behind `reserve` free bytes, with {@link tail} set to `state` meanwhile. */
const pack = (prepared: unknown, reserve: number, state?: typeof tail): Uint8Array => {
  tail = state
  try {
    return packr.pack(prepared, RESERVE_START_SPACE | reserve) as Uint8Array
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`cannot encode message: ${(e as Error).message}`)
  } finally {
    tail = undefined
  }
}

/** Writes the length of a frame holding one plain body (the packed message after 4 free bytes). */
const plainFrame = (frame: Uint8Array): Uint8Array => {
  const length = frame.byteLength - 4
  if (length > 0xffffffff) throw new CodecError(`frame body of ${length} bytes exceeds the 4 GiB limit`)
  writeUint32(frame, 0, length)
  return frame
}

/** The zero padding before a raw part of a split body's tail (never written to). */
const ZEROS = new Uint8Array(7)

/**
 * Encodes one message as a whole frame: 4-byte big-endian length, then the
 * msgpack body (written in place, no concatenation). Raw parts are inline.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeFrame = (message: unknown): Uint8Array => plainFrame(pack(prepare(message), 4))

/**
 * Encodes one message as a whole frame in several buffers, to be written in
 * order (gathered). Without raw parts of `threshold` bytes or more (default
 * {@link BLOB_THRESHOLD}), that is one buffer, {@link encodeFrame}'s result.
 * With some, the body is a split body: `0xC1 | u32 M | the msgpack map (M
 * bytes) | tail`, those parts being tail references in the map and, in the
 * tail, the values' own memory (not copies), each 8-aligned in the body.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeFrameParts = (message: unknown, threshold: number = BLOB_THRESHOLD): Array<Uint8Array> => {
  const prepared = prepare(message)
  const first = { threshold, parts: [] as Array<Uint8Array> }
  const plain = pack(prepared, 4, first)
  if (first.parts.length === 0) return [plainFrame(plain)]
  // The tail references' starts depend on the map's length M, known now: a second pass writes
  // them into a map of the same length (they are fixed-size fields).
  const mapLength = plain.byteLength - 4
  let end = 5 + mapLength
  const starts = first.parts.map((raw) => {
    const start = end + ((8 - (end % 8)) % 8)
    end = start + raw.byteLength
    return start
  })
  if (end > 0xffffffff) throw new CodecError(`frame body of ${end} bytes exceeds the 4 GiB limit`)
  const second = { threshold, parts: [] as Array<Uint8Array>, starts }
  const head = pack(prepared, 9, second)
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

/**
 * Encodes one value (a message or RuntimeData) as a msgpack body.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (value: unknown): Uint8Array => encodeFrame(value).subarray(4)

/** Unpacks one msgpack value, failing with a CodecError. */
const unpack = (bytes: Uint8Array): unknown => {
  try {
    return unpackr.unpack(bytes)
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError(`invalid msgpack: ${(e as Error).message}`)
  }
}

/**
 * Decodes one frame body, a msgpack value or a split body. Binary values and
 * media data are views of `body` (typed arrays are copied only when
 * misaligned; a tail part also when it does not start after the earlier ones
 * end).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (body: Uint8Array): unknown => {
  const plain = Object.getPrototypeOf(body) === Uint8Array.prototype ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (plain[0] !== SPLIT_BODY) return unpack(plain)
  if (plain.byteLength < 5) throw new CodecError(`split body of ${plain.byteLength} bytes is shorter than its 5-byte header`)
  const mapLength = new DataView(plain.buffer, plain.byteOffset + 1, 4).getUint32(0)
  if (mapLength === 0 || mapLength > plain.byteLength - 5) {
    throw new CodecError(`split body: map length ${mapLength} is out of range for a ${plain.byteLength}-byte body`)
  }
  const state = { body: plain, tailStart: 5 + mapLength, refs: 0, end: 0 }
  split = state
  let value: unknown
  try {
    value = unpack(plain.subarray(5, 5 + mapLength))
  } finally {
    split = undefined
  }
  if (state.refs === 0) throw new CodecError("split body: no extension value refers to its tail")
  return value
}
