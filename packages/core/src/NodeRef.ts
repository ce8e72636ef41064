/**
 * NodeRef: what a pipeline is made of. A manifest node (a registered node
 * type plus JSON params), a Python instance (a live object handle, or its
 * serialized bytes), or a TypeScript node with the same lifecycle.
 *
 * @since 0.1.0
 */
import type { RuntimeData } from "./RuntimeData.js"

/**
 * A node built by name from a registry, as in a manifest.
 *
 * @category models
 * @since 0.1.0
 */
export interface ManifestNode {
  readonly _tag: "ManifestNode"
  readonly id: string
  readonly nodeType: string
  readonly params: { readonly [key: string]: unknown }
  /** Fields of the manifest entry beyond id/node_type/params, kept verbatim. */
  readonly extra: { readonly [key: string]: unknown }
}

/**
 * Makes a manifest node reference.
 *
 * @category constructors
 * @since 0.1.0
 */
export const manifestNode = (
  id: string,
  nodeType: string,
  params: { readonly [key: string]: unknown } = {},
  extra: { readonly [key: string]: unknown } = {}
): ManifestNode => ({ _tag: "ManifestNode", id, nodeType, params, extra })

/**
 * Marks objects that stand for a live Python `Node` instance.
 *
 * @category symbols
 * @since 0.1.0
 */
export const PythonInstanceTypeId: unique symbol = Symbol.for("@remotemedia/core/PythonInstance")

/**
 * A handle to a live Python `Node` object. Core only names it; the Python
 * bridge implements it and transports resolve it (in-process: the object
 * itself; across processes: cleanup() -> pickle -> ship -> initialize()).
 *
 * @category models
 * @since 0.1.0
 */
export interface PythonInstance {
  readonly [PythonInstanceTypeId]: typeof PythonInstanceTypeId
  /** The Python node's `name`. */
  readonly name: string
  /** `module.QualifiedClass` of the object, for messages. */
  readonly className: string
}

/**
 * A Python `Node` instance as cloudpickle bytes, e.g. written by a Python
 * script or carried in a manifest's `instance` field. Transports unpickle it
 * where the node runs and call initialize() there.
 *
 * @category models
 * @since 0.1.0
 */
export interface SerializedInstance {
  readonly _tag: "SerializedInstance"
  readonly id?: string | undefined
  readonly name: string
  readonly className: string
  readonly bytes: Uint8Array
}

/**
 * Makes a serialized-instance reference.
 *
 * @category constructors
 * @since 0.1.0
 */
export const serializedInstance = (options: {
  readonly bytes: Uint8Array
  readonly name: string
  readonly className?: string | undefined
  readonly id?: string | undefined
}): SerializedInstance => ({
  _tag: "SerializedInstance",
  id: options.id,
  name: options.name,
  className: options.className ?? "unknown",
  bytes: options.bytes
})

/**
 * What a TypeScript node's `process` may return: one value, nothing
 * (`undefined` or `null`), a Promise of those, or an iterator / async
 * iterable (e.g. a generator) yielding 0..N values. Arrays are one value.
 *
 * @category models
 * @since 0.1.0
 */
export type ProcessResult<O> =
  | O
  | null
  | undefined
  | void
  | Promise<O | null | undefined | void>
  | Iterator<O>
  | AsyncIterable<O>

/**
 * A node written in TypeScript. `process` maps one input to 0..N outputs;
 * a source node (`isSource: true`) takes no input and yields its items.
 * `initialize` runs once before the first item, `cleanup` once after the last.
 *
 * @category models
 * @since 0.1.0
 */
export interface TsNode<I = RuntimeData, O = RuntimeData> {
  readonly id?: string
  readonly name?: string
  readonly isSource?: boolean
  initialize?(): void | Promise<void>
  process(input: I): ProcessResult<O>
  cleanup?(): void | Promise<void>
}

/**
 * Anything a pipeline node can be.
 *
 * @category models
 * @since 0.1.0
 */
export type NodeRef = ManifestNode | PythonInstance | SerializedInstance | TsNode<unknown, unknown>

const isObject = (u: unknown): u is Record<PropertyKey, unknown> => typeof u === "object" && u !== null

/**
 * @category guards
 * @since 0.1.0
 */
export const isPythonInstance = (u: unknown): u is PythonInstance =>
  isObject(u) && u[PythonInstanceTypeId] === PythonInstanceTypeId

/**
 * @category guards
 * @since 0.1.0
 */
export const isManifestNode = (u: unknown): u is ManifestNode => isObject(u) && u["_tag"] === "ManifestNode"

/**
 * @category guards
 * @since 0.1.0
 */
export const isSerializedInstance = (u: unknown): u is SerializedInstance =>
  isObject(u) && u["_tag"] === "SerializedInstance" && u["bytes"] instanceof Uint8Array

/**
 * A TypeScript node: any object with a callable `process` that is not one
 * of the tagged references.
 *
 * @category guards
 * @since 0.1.0
 */
export const isTsNode = (u: unknown): u is TsNode<unknown, unknown> =>
  isObject(u) && typeof u["process"] === "function" && !isPythonInstance(u) && !("_tag" in u)

/**
 * True for node references that run in Python (and so need a transport).
 *
 * @category guards
 * @since 0.1.0
 */
export const isPythonRef = (ref: NodeRef): ref is ManifestNode | PythonInstance | SerializedInstance =>
  isPythonInstance(ref) || isManifestNode(ref) || isSerializedInstance(ref)

/**
 * Describes a value's type for error messages (`string`, `null`,
 * `Array(3)`, `Object{foo,bar}`, `PythonInstance(mod.Class)`).
 *
 * @category formatting
 * @since 0.1.0
 */
export const describeValue = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return `Array(${u.length})`
  if (isPythonInstance(u)) return `PythonInstance(${u.className})`
  if (typeof u === "function") return `function ${u.name || "(anonymous)"}`
  if (typeof u !== "object") return typeof u
  const ctor = (u).constructor?.name
  if (ctor && ctor !== "Object") return ctor
  const keys = Object.keys(u).slice(0, 4)
  return `Object{${keys.join(",")}${Object.keys(u).length > 4 ? ",…" : ""}}`
}
