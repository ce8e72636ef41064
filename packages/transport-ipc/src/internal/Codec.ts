/**
 * Codec: RuntimeData <-> msgpack, as the worker protocol specifies
 * (`python/remotemedia/worker/PROTOCOL.md`, "Data encoding"). Plain values
 * use msgpack's own types; `Tensor`, `Audio` and `VideoFrame` are extension
 * types whose raw bytes are read as typed arrays over the received frame
 * (copied only when misaligned); Python-only objects arrive as
 * {@link PickledObject}s that TypeScript forwards unopened.
 *
 * A {@link Codec} (one per worker connection) owns everything encoding keeps
 * while it runs: its packer, and the tail collector of the pack in progress
 * (saved and restored around each call, so a re-entered encode cannot mix
 * two messages' parts). Decoding keeps nothing: a tail reference comes out of
 * msgpackr as a placeholder, which {@link Codec.unpack} resolves against the
 * split body it was given (or refuses, in a plain body) once the message is
 * decoded. The module itself holds no mutable state.
 *
 * A codec made with {@link Blobs} (a shared-memory payload channel) sends raw
 * parts of `blobs.threshold` bytes and up through it instead (a blob
 * reference in the message names the payload's sequence number) and
 * resolves the blob references of received messages through it.
 *
 * @since 0.1.0
 */
import { RuntimeData as RD } from "@remotemedia/core"
import { addExtension, Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr"
import { PickledObject } from "../PickledObject.js"

/**
 * Extension type codes of the protocol.
 *
 * @category constants
 * @since 0.1.0
 */
export const ExtType = { Tensor: 1, Audio: 2, VideoFrame: 3, Pickle: 4, BigInt: 0x42 } as const

/**
 * Raw parts of at least this many bytes are not copied into the message when
 * it is encoded for sending: they go to the tail of a split body, written
 * from their own memory.
 *
 * @category constants
 * @since 0.1.0
 */
export const BLOB_THRESHOLD = 64 * 1024

/**
 * A value could not be encoded, or bytes are not a valid encoding. `cause`
 * holds what msgpackr threw, when it threw (e.g. a `RangeError` for a
 * cyclic value).
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

/**
 * Where one pack sends its large raw parts: those of `threshold` bytes and
 * up are written as tail references and collected in `parts`, in order;
 * `starts` (known on a second pass only) holds where each one starts in the
 * frame body.
 *
 * @category models
 * @since 0.1.0
 */
export interface TailWriter {
  readonly threshold: number
  readonly parts: Array<Uint8Array>
  readonly starts?: ReadonlyArray<number> | undefined
  /**
   * With a payload channel: the first pass records what became of each raw
   * part it offered the channel (its sequence number, or undefined when it
   * stayed in the frame); a second pass (`starts` known) replays them in
   * order rather than sending any payload twice.
   */
  readonly blobs?: Array<BlobPlace | undefined> | undefined
}

/**
 * Where a raw part offered to a payload channel went: payload `seq` (a blob
 * reference), or, `shared`, bytes of this side's payload `seq` that the
 * other side keeps (a shared reference, see {@link Blobs.share}).
 *
 * @category models
 * @since 0.1.0
 */
export interface BlobPlace {
  readonly seq: number
  readonly shared: boolean
}

/**
 * The split body a message's tail references point into: the whole body and
 * where its tail starts (the end of the map).
 *
 * @category models
 * @since 0.1.0
 */
export interface TailSource {
  readonly body: Uint8Array
  readonly tailStart: number
}

/**
 * A payload channel beside the frames (e.g. shared memory): raw parts of
 * `threshold` bytes and up, at most `capacity` per message, are `put` there
 * when a message is encoded (the message carries their sequence numbers),
 * and `take`n back, in order, when one that refers to them is decoded; the
 * other parts travel in the frame.
 *
 * @category models
 * @since 0.1.0
 */
export interface Blobs {
  readonly threshold: number
  readonly capacity: number
  /**
   * Sends `raw`; returns its sequence number, or undefined when the channel
   * has no room now (the part then travels in the frame). Throws when it
   * cannot send it at all (the message then fails to encode).
   */
  put(raw: Uint8Array): number | undefined
  /** The payload with sequence number `seq` (`length` bytes); throws when it is missing. */
  take(seq: number, length: number): Uint8Array
  /**
   * Bytes `offset .. offset + length` of this side's own payload `seq`, which
   * the other side answered with (a shared reference: it still holds that
   * payload); throws when the channel has none or it is unknown.
   */
  takeShared?(seq: number, offset: number, length: number): Uint8Array
  /**
   * Sends `raw` by reference when its `buffer` is a payload of this side's
   * the channel can share (one filled in place, or one the other side
   * answered with): that payload's sequence number (`raw` starts at its
   * `byteOffset` in it); undefined otherwise (then it is `put`, or stays in
   * the frame).
   */
  share?(raw: Uint8Array): number | undefined
}

// ---------------------------------------------------------------------------
// MEDIA LAYOUT. A payload is inline: u32 raw offset O | msgpack header | zero
// padding | raw bytes from O (this encoder makes O a multiple of 8: Python's
// msgpack copies each inline payload into a 16-aligned bytes object of its own);
// or, in a split body only, a tail reference: u32 0 | u32 start | u32 length |
// msgpack header, the raw bytes being body[start, start + length); or, with a
// payload channel, a blob reference: u32 1 | u32 seq | u32 length | msgpack header,
// or a shared reference to a payload of one side both keep (the parent's, sent
// by reference, or answered with by the worker): u32 2 | u32 seq | u32 length |
// u32 offset | msgpack header.
// The headers are tiny arrays of strings and unsigned ints, written and read
// here directly rather than through msgpackr, which is never re-entered.
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
 * Offers a raw part to the payload channel: shared when it can be, else put
 * (unless the message already put `capacity` parts there); where it went, or
 * undefined when it stays in the frame. A second pass of the same message
 * replays the first's.
 */
const toBlob = (blobs: Blobs, raw: Uint8Array, tail: TailWriter | undefined): BlobPlace | undefined => {
  const record = tail?.blobs
  if (tail?.starts !== undefined && record !== undefined) return record.shift()
  if (raw.byteLength > 0xffffffff) throw new CodecError(`a payload of ${raw.byteLength} bytes exceeds the 4 GiB limit of a blob reference`)
  const shared = blobs.share?.(raw)
  let place: BlobPlace | undefined
  if (shared !== undefined) place = { seq: shared, shared: true }
  else {
    let sent = 0
    for (const s of record ?? []) if (s !== undefined && !s.shared) sent++
    const seq = sent < blobs.capacity ? blobs.put(raw) : undefined
    place = seq === undefined ? undefined : { seq, shared: false }
  }
  record?.push(place)
  return place
}

/** A packer that carries the tail writer of the pack it is running and its codec's payload channel (the pack hooks read them as `this`). */
class CodecPackr extends Packr {
  tail: TailWriter | undefined
  blobs: Blobs | undefined
}

/**
 * Writes a whole extension value (ext header, media-layout payload) into
 * msgpackr's buffer; a raw part of `tail.threshold` bytes and up becomes a
 * tail reference.
 */
const writeMedia = (
  type: number,
  header: Header,
  raw: Uint8Array,
  allocate: Allocate,
  tail: TailWriter | undefined,
  blobs: Blobs | undefined
): void => {
  const hlen = headerSize(header)
  const place = blobs !== undefined && raw.byteLength >= blobs.threshold ? toBlob(blobs, raw, tail) : undefined
  if (place !== undefined) {
    const length = (place.shared ? 16 : 12) + hlen
    const { target, targetView, position } = allocate((length < 0x100 ? 3 : 4) + length)
    let at = position
    if (length < 0x100) {
      target[at++] = 0xc7
      target[at++] = length
    } else {
      target[at++] = 0xc8
      targetView.setUint16(at, length)
      at += 2
    }
    target[at++] = type
    targetView.setUint32(at, place.shared ? SHARED_REF : BLOB_REF)
    targetView.setUint32(at + 4, place.seq)
    targetView.setUint32(at + 8, raw.byteLength)
    if (place.shared) targetView.setUint32(at + 12, raw.byteOffset)
    writeHeader(header, target, targetView, at + (place.shared ? 16 : 12))
    return
  }
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

/** The raw offset that marks a blob reference. */
const BLOB_REF = 1

/** The raw offset that marks a shared reference (to a payload the decoding side sent). */
const SHARED_REF = 2

/**
 * A tail reference as msgpackr decodes it: resolved into its value by
 * {@link Codec.unpack} once the whole message is read (`at`, the payload's
 * position, orders the references as they were written).
 */
class TailRef {
  constructor(
    readonly type: number,
    readonly header: Array<unknown>,
    readonly start: number,
    readonly length: number,
    readonly at: number,
    /** A blob reference (`start` is the blob's sequence number) rather than one into the tail. */
    readonly blob: boolean,
    /** For a shared reference (a blob one too): where its bytes start in the payload. */
    readonly shared?: number | undefined
  ) {}
}

/** Reads a media payload: an inline one's header and raw bytes (a view of it), or a tail reference. */
const readMedia = (type: number, payload: Uint8Array): { header: Array<unknown>; raw: Uint8Array } | TailRef => {
  if (payload.byteLength < 4) throw new CodecError(`extension payload of ${payload.byteLength} bytes is shorter than its header`)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const offset = view.getUint32(0)
  if (offset === 0) {
    if (payload.byteLength < 13) throw new CodecError(`tail reference of ${payload.byteLength} bytes is shorter than its header`)
    return new TailRef(type, readHeader(payload, 12, payload.byteLength), view.getUint32(4), view.getUint32(8), payload.byteOffset, false)
  }
  if (offset === BLOB_REF) {
    if (payload.byteLength < 13) throw new CodecError(`blob reference of ${payload.byteLength} bytes is shorter than its header`)
    return new TailRef(type, readHeader(payload, 12, payload.byteLength), view.getUint32(4), view.getUint32(8), payload.byteOffset, true)
  }
  if (offset === SHARED_REF) {
    if (payload.byteLength < 17) throw new CodecError(`shared reference of ${payload.byteLength} bytes is shorter than its header`)
    const header = readHeader(payload, 16, payload.byteLength)
    return new TailRef(type, header, view.getUint32(4), view.getUint32(8), payload.byteOffset, true, view.getUint32(12))
  }
  if (offset < 5 || offset > payload.byteLength) {
    throw new CodecError(`extension raw offset ${offset} is outside its ${payload.byteLength}-byte payload`)
  }
  return { header: readHeader(payload, 4, offset), raw: payload.subarray(offset) }
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
// EXTENSIONS. Registered once with msgpackr (its extension table is global);
// the pack hooks find the packer running them as `this`.
// ---------------------------------------------------------------------------

const isDType = (u: unknown): u is RD.DType => typeof u === "string" && u in arrayTypes

/** The value of a media payload of extension `type`. */
const mediaValue = (type: number, header: Array<unknown>, raw: Uint8Array): unknown => {
  switch (type) {
    case ExtType.Tensor: {
      const [dtype, shape] = header
      if (!isDType(dtype) || !Array.isArray(shape)) throw new CodecError(`invalid tensor header ${JSON.stringify(header)}`)
      return new RD.Tensor(typedView(dtype, raw), shape as Array<number>)
    }
    case ExtType.Audio:
      return new RD.Audio(typedView("float32", raw), header[0] as number, header[1] as number)
    case ExtType.VideoFrame:
      return new RD.VideoFrame(raw, header[0] as number, header[1] as number, header[2] as RD.PixelFormat)
    default:
      return new PickledObject(String(header[0]), raw)
  }
}

const unpackMedia = (type: number) => (payload: Uint8Array): unknown => {
  const media = readMedia(type, payload)
  return media instanceof TailRef ? media : mediaValue(type, media.header, media.raw)
}

const media = <T>(Class: new(...args: never) => T, type: number, parts: (value: T) => readonly [Header, Uint8Array]) =>
  addExtension({
    Class,
    type,
    pack(this: Packr, value: T, allocate: Allocate) {
      const [header, raw] = parts(value)
      const packr = this instanceof CodecPackr ? this : undefined
      writeMedia(type, header, raw, allocate, packr?.tail, packr?.blobs)
    },
    unpack: unpackMedia(type)
  } as never)

media(RD.Tensor, ExtType.Tensor, (t) => [[t.dtype, t.shape], bytesOf(t.data)])
media(RD.Audio, ExtType.Audio, (a) => [[a.sampleRate, a.channels], bytesOf(a.samples)])
media(RD.VideoFrame, ExtType.VideoFrame, (f) => [[f.width, f.height, f.format], f.data])
media(PickledObject, ExtType.Pickle, (p) => [[p.typeName], p.pickle])

// ---------------------------------------------------------------------------
// TAIL REFERENCES, resolved after decoding
// ---------------------------------------------------------------------------

interface Found {
  readonly holder: Record<string, unknown> | Array<unknown>
  readonly key: string | number
  readonly ref: TailRef
}

const isPlainObject = (u: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const isContainer = (u: object): boolean => Array.isArray(u) || isPlainObject(u)

/** Collects the tail references inside the arrays and maps of a decoded value. */
const collect = (holder: Record<string, unknown> | Array<unknown>, found: Array<Found>): void => {
  if (Array.isArray(holder)) {
    for (let i = 0; i < holder.length; i++) {
      const v = holder[i]
      if (typeof v !== "object" || v === null) continue
      if (v instanceof TailRef) found.push({ holder, key: i, ref: v })
      else if (isContainer(v)) collect(v as Record<string, unknown>, found)
    }
    return
  }
  for (const key in holder) {
    const v = holder[key]
    if (typeof v !== "object" || v === null) continue
    if (v instanceof TailRef) found.push({ holder, key, ref: v })
    else if (isContainer(v)) collect(v as Record<string, unknown>, found)
  }
}

/**
 * Replaces the tail and blob references of a decoded value by their values,
 * raw parts read in `tail`'s body or taken from `blobs` (in the order they
 * were written); fails on a tail reference when there is no tail, on a blob
 * reference without a payload channel, and on a split body none of whose
 * values refers to its tail.
 */
const settle = (value: unknown, tail: TailSource | undefined, blobs: Blobs | undefined): unknown => {
  const box = [value]
  const found: Array<Found> = []
  collect(box, found)
  if (found.length === 0) {
    if (tail !== undefined) throw new CodecError("split body: no extension value refers to its tail")
    return value
  }
  found.sort((a, b) => a.ref.at - b.ref.at)
  const inTail = found.filter((f) => !f.ref.blob)
  if (inTail.length === 0 && tail !== undefined) throw new CodecError("split body: no extension value refers to its tail")
  for (const { holder, key, ref } of found) {
    if (!ref.blob) continue
    if (blobs === undefined) throw new CodecError("a blob reference (raw offset 1) without a payload channel")
    let raw: Uint8Array
    if (ref.shared === undefined) raw = blobs.take(ref.start, ref.length)
    else if (blobs.takeShared === undefined) throw new CodecError("a shared reference (raw offset 2) on a channel without them")
    else raw = blobs.takeShared(ref.start, ref.shared, ref.length)
    ;(holder as Record<string, unknown>)[key] = mediaValue(ref.type, ref.header, raw)
  }
  if (inTail.length === 0) return box[0]
  if (tail === undefined) throw new CodecError("a tail reference (raw offset 0) outside a split body")
  const { body, tailStart } = tail
  let end = 0
  for (const { holder, key, ref } of inTail) {
    const stop = ref.start + ref.length
    if (ref.start < tailStart || stop > body.byteLength) {
      throw new CodecError(
        `tail reference to bytes ${ref.start}..${stop} is outside the tail (bytes ${tailStart}..${body.byteLength} of the body)`
      )
    }
    if (ref.start % 8 !== 0) throw new CodecError(`tail reference start ${ref.start} is not a multiple of 8`)
    // Typed arrays cannot be read-only: a reference that does not start after every earlier one
    // ends (it may overlap one) is copied, so no two values share memory.
    const raw = ref.start < end ? body.slice(ref.start, stop) : body.subarray(ref.start, stop)
    end = Math.max(end, stop)
    ;(holder as Record<string, unknown>)[key] = mediaValue(ref.type, ref.header, raw)
  }
  return box[0]
}

// ---------------------------------------------------------------------------
// ENCODING AND DECODING
// ---------------------------------------------------------------------------

const INT32_MIN = -0x80000000
const UINT32_MAX = 0xffffffff

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
          const v: unknown = value[i]
          const p = typeof v === "object" || typeof v === "number" ? prepare(v) : v
          if (p !== v) (copy ??= value.slice() as Array<unknown>)[i] = p
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

const options = { useRecords: false, moreTypes: false, int64AsType: "auto", mapsAsObjects: true } as const

/**
 * Encodes and decodes messages for one worker connection.
 *
 * @category models
 * @since 0.1.0
 */
export class Codec {
  private readonly packr = new CodecPackr({ ...options, encodeUndefinedAsNil: true, useBigIntExtension: true } as never)
  private readonly unpackr = new Unpackr(options as never)

  /** With `blobs`, large raw parts go through that payload channel (see {@link Blobs}). */
  constructor(private readonly blobs?: Blobs) {
    this.packr.blobs = blobs
  }

  /**
   * Packs one value as msgpack after `reserve` free bytes (for a frame
   * header written in place). With `tail`, raw parts of `tail.threshold`
   * bytes and up are written as tail references and collected in it.
   */
  pack(value: unknown, reserve: number, tail?: TailWriter): Uint8Array {
    const packr = this.packr
    const outer = packr.tail
    try {
      const prepared = prepare(value)
      packr.tail = tail
      return packr.pack(prepared, RESERVE_START_SPACE | reserve)
    } catch (e) {
      throw e instanceof CodecError ? e : new CodecError(`cannot encode message: ${(e as Error).message}`, { cause: e })
    } finally {
      packr.tail = outer
    }
  }

  /** Encodes one value (a message or RuntimeData) as a msgpack body. */
  encode(value: unknown): Uint8Array {
    return this.pack(value, 0)
  }

  /**
   * Decodes one msgpack value. Binary values and media data are views of
   * `bytes` (typed arrays are copied only when misaligned). Tail references
   * are read in `tail`, the split body `bytes` is the map of; without one,
   * a tail reference is a {@link CodecError}.
   */
  unpack(bytes: Uint8Array, tail?: TailSource): unknown {
    let value: unknown
    try {
      value = this.unpackr.unpack(bytes)
    } catch (e) {
      throw e instanceof CodecError ? e : new CodecError(`invalid msgpack: ${(e as Error).message}`, { cause: e })
    }
    return settle(value, tail, this.blobs)
  }
}
