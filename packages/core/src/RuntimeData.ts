/**
 * RuntimeData: the values that flow between pipeline nodes, and the explicit
 * media classes (`Audio`, `Tensor`, `VideoFrame`) that map to Python's
 * `remotemedia.Audio`, numpy arrays and video frames.
 *
 * Natural JS values map to Python naturally (string <-> str, number <-> int or
 * float, bigint <-> int, boolean <-> bool, null <-> None, arrays <-> lists,
 * plain objects <-> dicts, Uint8Array <-> bytes). Media types are never guessed
 * from an object's keys: a plain object with `samples` and `sampleRate` stays a
 * plain object.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The element types a `Tensor` can hold, named as numpy names them.
 *
 * @category models
 * @since 0.1.0
 */
export type DType = "float32" | "float64" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64"

/**
 * The typed array that backs each `DType`.
 *
 * @category models
 * @since 0.1.0
 */
export interface TypedArrayByDType {
  readonly float32: Float32Array
  readonly float64: Float64Array
  readonly int8: Int8Array
  readonly int16: Int16Array
  readonly int32: Int32Array
  readonly int64: BigInt64Array
  readonly uint8: Uint8Array
  readonly uint16: Uint16Array
  readonly uint32: Uint32Array
  readonly uint64: BigUint64Array
}

/**
 * Any typed array a `Tensor` may hold.
 *
 * @category models
 * @since 0.1.0
 */
export type TensorData = TypedArrayByDType[DType]

/**
 * The typed-array constructor of each `DType`, e.g. to view received bytes.
 *
 * @category models
 * @since 0.1.0
 */
export const TypedArrayConstructors = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array
} as const

const dtypeEntries = Object.entries(TypedArrayConstructors) as ReadonlyArray<
  readonly [DType, (typeof TypedArrayConstructors)[DType]]
>

const dtypeOf = (data: TensorData): DType => dtypeEntries.find(([, Ctor]) => data instanceof Ctor)?.[0] ?? "uint8"

/**
 * Raised when a media value is constructed from inconsistent parts.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidMediaValue extends TypeError {
  override readonly name = "InvalidMediaValue"
}

const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0

/**
 * An n-dimensional array: typed-array data in row-major order plus its shape.
 * Crosses to Python as a numpy array of the same dtype and shape.
 *
 * @category models
 * @since 0.1.0
 */
export class Tensor<D extends DType = DType> {
  readonly dtype: D
  readonly shape: ReadonlyArray<number>
  readonly data: TypedArrayByDType[D]

  /** Builds a tensor; the shape defaults to one dimension of `data.length`. */
  constructor(data: TypedArrayByDType[D], shape?: ReadonlyArray<number>) {
    const dims = shape ?? [data.length]
    if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InvalidMediaValue(`Tensor shape must hold non-negative integers, got [${dims.join(", ")}]`)
    }
    const size = dims.reduce((a, b) => a * b, 1)
    if (size !== data.length) {
      throw new InvalidMediaValue(
        `Tensor shape [${dims.join(", ")}] needs ${size} elements but data holds ${data.length}`
      )
    }
    this.data = data
    this.shape = Object.freeze([...dims])
    this.dtype = dtypeOf(data) as D
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length
  }
}

/**
 * PCM audio: interleaved float32 samples in [-1, 1], a sample rate and a
 * channel count. Crosses to Python as `remotemedia.Audio`.
 *
 * @category models
 * @since 0.1.0
 */
export class Audio {
  readonly samples: Float32Array
  readonly sampleRate: number
  readonly channels: number

  constructor(samples: Float32Array, sampleRate: number, channels = 1) {
    if (!(samples instanceof Float32Array)) {
      throw new InvalidMediaValue("Audio samples must be a Float32Array")
    }
    if (!isPositiveInt(sampleRate)) throw new InvalidMediaValue(`Audio sampleRate must be a positive integer, got ${sampleRate}`)
    if (!isPositiveInt(channels)) throw new InvalidMediaValue(`Audio channels must be a positive integer, got ${channels}`)
    if (samples.length % channels !== 0) {
      throw new InvalidMediaValue(`Audio holds ${samples.length} samples, not a multiple of ${channels} channels`)
    }
    this.samples = samples
    this.sampleRate = sampleRate
    this.channels = channels
  }

  /** Samples per channel. */
  get frames(): number {
    return this.samples.length / this.channels
  }

  /** Length in seconds. */
  get durationSeconds(): number {
    return this.frames / this.sampleRate
  }
}

/**
 * The pixel layouts a `VideoFrame` may carry, with the bytes one frame of
 * each needs (planar YUV 4:2:0 rounds its half-size chroma planes up, as
 * ffmpeg does).
 *
 * @category models
 * @since 0.1.0
 */
export const PixelFormats = {
  rgb24: (w: number, h: number) => w * h * 3,
  bgr24: (w: number, h: number) => w * h * 3,
  rgba: (w: number, h: number) => w * h * 4,
  bgra: (w: number, h: number) => w * h * 4,
  gray8: (w: number, h: number) => w * h,
  yuv420p: (w: number, h: number) => w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2)
} as const

/**
 * A pixel layout name.
 *
 * @category models
 * @since 0.1.0
 */
export type PixelFormat = keyof typeof PixelFormats

/**
 * One video frame: packed pixel bytes, width, height and pixel format.
 *
 * @category models
 * @since 0.1.0
 */
export class VideoFrame {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: PixelFormat

  constructor(data: Uint8Array, width: number, height: number, format: PixelFormat = "rgb24") {
    if (!isPositiveInt(width) || !isPositiveInt(height)) {
      throw new InvalidMediaValue(`VideoFrame size must be positive integers, got ${width}x${height}`)
    }
    const size = PixelFormats[format]
    if (size === undefined) throw new InvalidMediaValue(`Unknown pixel format '${String(format)}'`)
    const expected = size(width, height)
    if (data.length !== expected) {
      throw new InvalidMediaValue(`VideoFrame ${width}x${height} ${format} needs ${expected} bytes, got ${data.length}`)
    }
    this.data = data
    this.width = width
    this.height = height
    this.format = format
  }
}

/**
 * An opaque value owned by another runtime (a Python object that has no JS
 * equivalent). TypeScript can forward it between nodes but not look inside.
 *
 * @category models
 * @since 0.1.0
 */
export interface OpaqueValue {
  readonly _tag: "OpaqueValue"
  /** The foreign type's name, for messages (e.g. `torch.Tensor`). */
  readonly typeName: string
}

/**
 * Everything that may flow between nodes.
 *
 * @category models
 * @since 0.1.0
 */
export type RuntimeData =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | Audio
  | Tensor
  | VideoFrame
  | OpaqueValue
  | ReadonlyArray<RuntimeData>
  | { readonly [key: string]: RuntimeData }

/**
 * The deepest nesting of arrays and objects a value may have: deeper data
 * cannot be encoded for Python (its own recursion limit is 1,000 too).
 *
 * @category models
 * @since 0.1.0
 */
export const MAX_DEPTH = 1_000

/**
 * A value that cannot cross to another runtime: it refers back to itself
 * (`reason: "cycle"`, `path` names the reference and `target` what it points
 * back to) or is nested deeper than {@link MAX_DEPTH} (`reason: "depth"`,
 * `path` shortened to its first and last steps).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidRuntimeData extends Schema.TaggedError<InvalidRuntimeData>()("InvalidRuntimeData", {
  reason: Schema.Literals(["cycle", "depth"]),
  path: Schema.String,
  target: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.reason === "cycle"
      ? `cyclic data: ${this.path} refers back to ${this.target ?? "an enclosing value"} (a cycle cannot be encoded)`
      : `data nested more than ${MAX_DEPTH} levels deep, at ${this.path}`
  }
}

const identifier = /^[A-Za-z_$][\w$]*$/

const step = (key: string | number): string =>
  typeof key === "number" ? `[${key}]` : identifier.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`

/** The path, with the middle of a long one elided. */
const pathOf = (root: string, steps: ReadonlyArray<string>, keep = 4): string =>
  steps.length <= 2 * keep
    ? root + steps.join("")
    : `${root}${steps.slice(0, keep).join("")}…(${steps.length - 2 * keep} more levels)…${steps.slice(-keep).join("")}`

const isContainer = (value: unknown): value is object =>
  Array.isArray(value) || (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype)

/**
 * Checks that a value can be encoded for another runtime: no cycles among its
 * arrays and plain objects (shared, non-cyclic references are fine) and no
 * nesting deeper than {@link MAX_DEPTH}. Returns the problem, naming where it
 * is below `root`, or `undefined`. Transports call it when encoding a value
 * failed, to say why.
 *
 * @category validation
 * @since 0.1.0
 */
export const checkShape = (value: unknown, root = "item"): InvalidRuntimeData | undefined => {
  const ancestors: Array<object> = []
  const steps: Array<string> = []
  const visit = (current: unknown): InvalidRuntimeData | undefined => {
    if (!isContainer(current)) return undefined
    const seen = ancestors.indexOf(current)
    if (seen !== -1) {
      return new InvalidRuntimeData({ reason: "cycle", path: pathOf(root, steps), target: pathOf(root, steps.slice(0, seen)) })
    }
    if (ancestors.length >= MAX_DEPTH) return new InvalidRuntimeData({ reason: "depth", path: pathOf(root, steps) })
    ancestors.push(current)
    const entries: Iterable<readonly [string | number, unknown]> = Array.isArray(current)
      ? current.entries()
      : Object.entries(current)
    for (const [key, child] of entries) {
      steps.push(step(key))
      const problem = visit(child)
      steps.pop()
      if (problem !== undefined) return problem
    }
    ancestors.pop()
    return undefined
  }
  return visit(value)
}
