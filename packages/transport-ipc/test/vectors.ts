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

/** A JS value as tagged JSON. */
export const tag = (u: unknown): unknown => {
  if (u === null || u === undefined) return null
  if (typeof u === "string" || typeof u === "boolean") return u
  if (typeof u === "number") return Number.isSafeInteger(u) || (Number.isFinite(u) && !Number.isInteger(u)) ? u : floatTag(u)
  if (typeof u === "bigint") return u > SAFE || u < -SAFE ? { $bigint: u.toString() } : Number(u)
  if (u instanceof Uint8Array) return { $bytes: hex(u) }
  if (Array.isArray(u)) return u.map(tag)
  if (u instanceof Tensor) {
    return { $tensor: { dtype: u.dtype, shape: [...u.shape], data: hex(new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength)) } }
  }
  if (u instanceof Audio) {
    return { $audio: { sample_rate: u.sampleRate, channels: u.channels, samples: hex(new Uint8Array(u.samples.buffer, u.samples.byteOffset, u.samples.byteLength)) } }
  }
  if (u instanceof VideoFrame) return { $video: { width: u.width, height: u.height, format: u.format, data: hex(u.data) } }
  if (u instanceof PickledObject) return { $pickle: { type_name: u.typeName, data: hex(u.pickle) } }
  return Object.fromEntries(Object.entries(u as object).map(([k, v]) => [k, tag(v)]))
}

/** Tagged JSON back to the JS value it stands for (as the TS decoder produces it). */
export const untag = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(untag)
  if (typeof u !== "object" || u === null) return u
  const entries = Object.entries(u)
  if (entries.length === 1) {
    const [key, body] = entries[0]! as [string, any]
    switch (key) {
      case "$bytes":
        return unhex(body)
      case "$bigint":
        return BigInt(body)
      case "$float":
        return body === "nan" ? NaN : body === "inf" ? Infinity : body === "-inf" ? -Infinity : Number(body)
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
