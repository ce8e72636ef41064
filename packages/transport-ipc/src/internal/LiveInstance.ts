/**
 * LiveInstance: Python node objects held in this process (through
 * `@remotemedia/python-bridge`) are shipped to a worker as bytes made here,
 * in the parent: `remotemedia.worker.shipping.ship` calls the object's
 * `cleanup()` and pickles it (`serialize_node_for_ipc`), so an unpicklable
 * instance fails with the `SerializationError` naming the attribute path
 * before any worker is spawned. The bridge is imported only when a live
 * object is actually met: pipelines of manifest nodes and serialized
 * instances never load the embedded interpreter.
 *
 * @since 0.1.0
 */
import type { NodeRef } from "@remotemedia/core"

/** The part of the Python bridge this module uses. */
interface PyObjectLike {
  callMethodJs(method: string, args?: ReadonlyArray<unknown>, kwargs?: Record<string, unknown>): Promise<unknown>
}

interface BridgeLike {
  start(options?: unknown): { import(name: string): Promise<PyObjectLike> }
  isPyObject(u: unknown): boolean
}

/** Where a `PythonInstance` keeps its Python object (shared through the global symbol registry). */
const objectKey = Symbol.for("@remotemedia/PythonInstance/object")

let bridge: Promise<BridgeLike> | undefined
let shipping: Promise<PyObjectLike> | undefined

const loadBridge = (): Promise<BridgeLike> => (bridge ??= import("@remotemedia/python-bridge") as Promise<BridgeLike>)

// `start()` joins the running interpreter: a live object exists only in the interpreter that made it, so that is
// where it is pickled. The transport's `python`/`venv` options choose the workers' interpreter, which may differ
// (the pickle loads in any compatible one); an interpreter started first for any reason finds its venv by the same
// precedence (core's PythonEnvironment).
const shippingModule = (): Promise<PyObjectLike> =>
  (shipping ??= loadBridge().then((b) => b.start().import("remotemedia.worker.shipping")))

/**
 * The Python object behind a live `PythonInstance` reference.
 *
 * @category getters
 * @since 0.1.0
 */
export const pythonObject = async (ref: NodeRef.PythonInstance): Promise<unknown> => {
  const held = (ref as { readonly [objectKey]?: unknown })[objectKey]
  if (held !== undefined) return held
  const b = await loadBridge()
  if (b.isPyObject(ref)) return ref
  throw new TypeError(`PythonInstance '${ref.name}' (${ref.className}) holds no Python object handle`)
}

/**
 * Calls the object's `cleanup()` and pickles it, in this process.
 * Rejects with the bridge's `PythonError` (e.g. a `SerializationError`).
 *
 * @category shipping
 * @since 0.1.0
 */
export const ship = async (ref: NodeRef.PythonInstance): Promise<Uint8Array> => {
  const object = await pythonObject(ref)
  const data = await (await shippingModule()).callMethodJs("ship", [object])
  if (!(data instanceof Uint8Array)) throw new TypeError("remotemedia.worker.shipping.ship did not return bytes")
  return data
}

/**
 * Gives the caller's object the state its worker copy ended with.
 *
 * @category shipping
 * @since 0.1.0
 */
export const adoptState = async (ref: NodeRef.PythonInstance, state: Uint8Array): Promise<void> => {
  const object = await pythonObject(ref)
  await (await shippingModule()).callMethodJs("adopt_state", [object, state])
}
