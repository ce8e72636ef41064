// Tagged JSON of the shared test vectors (python/remotemedia/worker/PROTOCOL.md, "Test vectors").
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Audio, RuntimeData, Tensor, VideoFrame } from "@remotemedia/core"
import { PickledObject } from "../src/PickledObject.js"

export const vectorsDir = join(dirname(fileURLToPath(import.meta.url)), "../../../python/remotemedia/worker/vectors")

export interface Vector {
  readonly name: string
  readonly frame: string
  readonly message: unknown
}

export const loadVectors = (direction: "ts_to_python" | "python_to_ts"): ReadonlyArray<Vector> =>
  (JSON.parse(readFileSync(join(vectorsDir, `${direction}.json`), "utf8")) as { vectors: ReadonlyArray<Vector> }).vectors

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"))

const SAFE = 2n ** 53n
const ctors = RuntimeData.TypedArrayConstructors

const typed = (dtype: RuntimeData.DType, bytes: Uint8Array) => {
  const copy = bytes.slice()
  const C = ctors[dtype]
  return new C(copy.buffer, 0, copy.byteLength / C.BYTES_PER_ELEMENT) as RuntimeData.TensorData
}

const floatTag = (n: number) => ({ $float: Number.isNaN(n) ? "nan" : n === Infinity ? "inf" : n === -Infinity ? "-inf" : String(n) })

/** The fields of the tagged forms of media values and pickles. */
interface Tagged {
  readonly dtype: RuntimeData.DType
  readonly shape: Array<number>
  readonly data: string
  readonly samples: string
  readonly sample_rate: number
  readonly channels: number
  readonly width: number
  readonly height: number
  readonly format: RuntimeData.PixelFormat
  readonly type_name: string
}

/** A JS value as tagged JSON. */
export const tag = (u: unknown): unknown => {
  if (u === null || u === undefined) return null
  if (typeof u === "string" || typeof u === "boolean") return u
  if (typeof u === "number") return Number.isSafeInteger(u) || (Number.isFinite(u) && !Number.isInteger(u)) ? u : floatTag(u)
  if (typeof u === "bigint") return u > SAFE || u < -SAFE ? { $bigint: u.toString() } : Number(u)
  if (u instanceof Uint8Array) return { $bytes: hex(u) }
  if (Array.isArray(u)) return u.map(tag)
  if (u instanceof Tensor) {
    const t = u as Tensor
    const data: RuntimeData.TensorData = t.data
    return { $tensor: { dtype: t.dtype, shape: [...t.shape], data: hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) } }
  }
  if (u instanceof Audio) {
    return { $audio: { sample_rate: u.sampleRate, channels: u.channels, samples: hex(new Uint8Array(u.samples.buffer, u.samples.byteOffset, u.samples.byteLength)) } }
  }
  if (u instanceof VideoFrame) return { $video: { width: u.width, height: u.height, format: u.format, data: hex(u.data) } }
  if (u instanceof PickledObject) return { $pickle: { type_name: u.typeName, data: hex(u.pickle) } }
  return Object.fromEntries(Object.entries(u).map(([k, v]) => [k, tag(v)]))
}

/** Tagged JSON back to the JS value it stands for (as the TS decoder produces it). */
export const untag = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(untag)
  if (typeof u !== "object" || u === null) return u
  const entries: Array<[string, unknown]> = Object.entries(u)
  if (entries.length === 1) {
    const [key, value] = entries[0]!
    const text = value as string
    const body = value as Tagged
    switch (key) {
      case "$bytes":
        return unhex(text)
      case "$bigint":
        return BigInt(text)
      case "$float":
        return text === "nan" ? NaN : text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text)
      case "$tensor":
        return new Tensor(typed(body.dtype, unhex(body.data)), body.shape)
      case "$audio":
        return new Audio(typed("float32", unhex(body.samples)) as Float32Array, body.sample_rate, body.channels)
      case "$video":
        return new VideoFrame(unhex(body.data), body.width, body.height, body.format)
      case "$pickle":
        return new PickledObject(body.type_name, unhex(body.data))
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, untag(v)]))
}
