/**
 * JsonCodec: the JSON form of pipeline values on the command line. Plain JSON
 * values are themselves; values JSON has no form for are one-key objects
 * tagged with `$`:
 *
 * - `{"$bytes": "<base64>"}`: a `Uint8Array` (Python `bytes`)
 * - `{"$bigint": "123"}`: a `bigint` (a Python int beyond 2^53)
 * - `{"$number": "NaN" | "Infinity" | "-Infinity"}`: a number JSON cannot write
 * - `{"$tensor": {"dtype": "float32", "shape": [2], "data": "<base64>"}}`: a
 *   `Tensor` (numpy array); `data` holds the elements' little-endian bytes
 * - `{"$audio": {"sampleRate": 16000, "channels": 1, "samples": "<base64>"}}`:
 *   `Audio`; `samples` holds interleaved float32 little-endian bytes
 * - `{"$video": {"width": 2, "height": 2, "format": "rgb24", "data": "<base64>"}}`:
 *   a `VideoFrame`
 * - `{"$opaque": "module.Type"}`: a Python object with no JS form (output only)
 * - `{"$object": {...}}`: a plain object that would otherwise read as one of
 *   the tags above (its only key is a tag)
 *
 * Any other object is a plain object.
 *
 * @since 0.1.0
 */
import { Audio, RuntimeData, Tensor, VideoFrame } from "@remotemedia/core"

type Value = RuntimeData.RuntimeData

/**
 * A JSON value.
 *
 * @category models
 * @since 0.1.0
 */
export type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * A JSON value that is not a valid tagged form (`where` names the offending
 * part, e.g. `$tensor.dtype`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidJsonForm extends Error {
  override readonly name = "InvalidJsonForm"
  constructor(readonly where: string, readonly detail: string) {
    super(`${where}: ${detail}`)
  }
}

const TAGS = ["$bytes", "$bigint", "$number", "$tensor", "$audio", "$video", "$opaque", "$object"] as const

const DTYPES = Object.keys(RuntimeData.TypedArrayConstructors) as ReadonlyArray<RuntimeData.DType>
const FORMATS = Object.keys(RuntimeData.PixelFormats) as ReadonlyArray<RuntimeData.PixelFormat>

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && Object.getPrototypeOf(u) === Object.prototype

const soleTag = (o: Readonly<Record<string, unknown>>): string | undefined => {
  const keys = Object.keys(o)
  return keys.length === 1 && (TAGS as ReadonlyArray<string>).includes(keys[0]!) ? keys[0] : undefined
}

const base64 = (bytes: ArrayBufferView): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/**
 * A pipeline value in its JSON form (see the module description).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (value: Value): Json => {
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : { $number: String(value) }
  }
  if (typeof value === "bigint") return { $bigint: value.toString() }
  if (typeof value !== "object" || value === null) return value
  if (value instanceof Uint8Array) return { $bytes: base64(value) }
  if (value instanceof Tensor) return { $tensor: { dtype: value.dtype, shape: [...value.shape], data: base64(value.data) } }
  if (value instanceof Audio) {
    return { $audio: { sampleRate: value.sampleRate, channels: value.channels, samples: base64(value.samples) } }
  }
  if (value instanceof VideoFrame) {
    return { $video: { width: value.width, height: value.height, format: value.format, data: base64(value.data) } }
  }
  if (Array.isArray(value)) return (value as ReadonlyArray<Value>).map(encode)
  const record = value as Readonly<Record<string, Value>>
  if ("_tag" in record && record["_tag"] === "OpaqueValue" && typeof record["typeName"] === "string") {
    return { $opaque: record["typeName"] }
  }
  const out: Record<string, Json> = {}
  for (const [key, item] of Object.entries(record)) out[key] = encode(item)
  return soleTag(out) === undefined ? out : { $object: out }
}

const fail = (where: string, detail: string): never => {
  throw new InvalidJsonForm(where, detail)
}

const field = (o: Readonly<Record<string, unknown>>, key: string, where: string): unknown =>
  key in o ? o[key] : fail(`${where}.${key}`, "missing")

const positiveInt = (u: unknown, where: string): number =>
  typeof u === "number" && Number.isInteger(u) && u > 0 ? u : fail(where, `expected a positive integer, got ${JSON.stringify(u)}`)

const bytesOf = (u: unknown, where: string): Uint8Array<ArrayBuffer> => {
  if (typeof u !== "string" || u.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(u)) {
    return fail(where, "expected a base64 string")
  }
  // A fresh, aligned copy: typed-array views need their element alignment.
  return new Uint8Array(Buffer.from(u, "base64"))
}

const object = (u: unknown, where: string): Readonly<Record<string, unknown>> =>
  isPlainObject(u) ? u : fail(where, "expected an object")

const oneOf = <A extends string>(u: unknown, allowed: ReadonlyArray<A>, where: string): A =>
  typeof u === "string" && (allowed as ReadonlyArray<string>).includes(u)
    ? (u as A)
    : fail(where, `expected one of ${allowed.join(", ")}, got ${JSON.stringify(u)}`)

/** Wraps a media constructor's own validation error with where it happened. */
const media = <A>(where: string, build: () => A): A => {
  try {
    return build()
  } catch (e) {
    return fail(where, (e as Error).message)
  }
}

const decodeTensor = (u: unknown, where: string): Tensor => {
  const spec = object(u, where)
  const dtype = oneOf(field(spec, "dtype", where), DTYPES, `${where}.dtype`)
  const shapeValue = field(spec, "shape", where)
  if (!Array.isArray(shapeValue) || !shapeValue.every((d) => typeof d === "number")) {
    return fail(`${where}.shape`, "expected an array of numbers")
  }
  const bytes = bytesOf(field(spec, "data", where), `${where}.data`)
  const Ctor = RuntimeData.TypedArrayConstructors[dtype]
  if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) {
    return fail(`${where}.data`, `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`)
  }
  const data = new Ctor(bytes.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT) as RuntimeData.TensorData
  return media(where, () => new Tensor(data, shapeValue as ReadonlyArray<number>))
}

const decodeAudio = (u: unknown, where: string): Audio => {
  const spec = object(u, where)
  const sampleRate = positiveInt(field(spec, "sampleRate", where), `${where}.sampleRate`)
  const channels = "channels" in spec ? positiveInt(spec["channels"], `${where}.channels`) : 1
  const bytes = bytesOf(field(spec, "samples", where), `${where}.samples`)
  if (bytes.byteLength % 4 !== 0) return fail(`${where}.samples`, `${bytes.byteLength} bytes is not a whole number of float32 samples`)
  return media(where, () => new Audio(new Float32Array(bytes.buffer, 0, bytes.byteLength / 4), sampleRate, channels))
}

const decodeVideo = (u: unknown, where: string): VideoFrame => {
  const spec = object(u, where)
  const width = positiveInt(field(spec, "width", where), `${where}.width`)
  const height = positiveInt(field(spec, "height", where), `${where}.height`)
  const format = "format" in spec ? oneOf(spec["format"], FORMATS, `${where}.format`) : "rgb24"
  const data = bytesOf(field(spec, "data", where), `${where}.data`)
  return media(where, () => new VideoFrame(data, width, height, format))
}

const NUMBERS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY }

const decodeTagged = (tag: string, body: unknown, where: string): Value => {
  const at = `${where}.${tag}`
  switch (tag) {
    case "$bytes":
      return bytesOf(body, at)
    case "$bigint":
      return typeof body === "string" && /^-?\d+$/.test(body) ? BigInt(body) : fail(at, "expected a string of decimal digits")
    case "$number":
      return typeof body === "string" && body in NUMBERS ? NUMBERS[body]! : fail(at, "expected \"NaN\", \"Infinity\" or \"-Infinity\"")
    case "$tensor":
      return decodeTensor(body, at)
    case "$audio":
      return decodeAudio(body, at)
    case "$video":
      return decodeVideo(body, at)
    case "$object":
      return decodeEntries(object(body, at), at)
    default:
      return fail(at, "a Python object with no JS form cannot be given as input")
  }
}

const decodeEntries = (o: Readonly<Record<string, unknown>>, where: string): Value => {
  const out: Record<string, Value> = {}
  for (const [key, item] of Object.entries(o)) out[key] = decodeAt(item, `${where}.${key}`)
  return out
}

const decodeAt = (value: unknown, where: string): Value => {
  if (Array.isArray(value)) return value.map((item, i) => decodeAt(item, `${where}[${i}]`))
  if (isPlainObject(value)) {
    const tag = soleTag(value)
    return tag === undefined ? decodeEntries(value, where) : decodeTagged(tag, value[tag], where)
  }
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value
  return fail(where, `not a JSON value (${typeof value})`)
}

/**
 * A parsed JSON value as a pipeline value, reading the tagged forms; throws
 * {@link InvalidJsonForm} naming where a tagged form is malformed (paths start
 * at `item`).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (value: unknown): Value => decodeAt(value, "item")
