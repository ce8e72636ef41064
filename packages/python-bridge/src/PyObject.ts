/**
 * `PyObject`: a handle to a live Python object in the embedded interpreter.
 *
 * Handles are cheap and identity-preserving: passing a handle back to Python
 * (as an argument, inside a list or dict, as `globals`) passes that very
 * object. A handle keeps its object alive until `release()` is called or the
 * handle is garbage collected by JS, whichever comes first. A `PyObject` is
 * core's `OpaqueValue`, so it can flow through pipelines unchanged.
 *
 * Every operation runs on the Python thread and returns a Promise; the JS
 * thread never waits for Python.
 *
 * @since 0.1.0
 */
import type { RuntimeData as RD } from "@remotemedia/core"
import { native, NativeRef, type PyRef, Want } from "./internal/native.js"
import { fromNative } from "./PythonError.js"

const NodeInspect = Symbol.for("nodejs.util.inspect.custom")

/**
 * Arguments of a Python call: JS values (converted as RuntimeData) or
 * `PyObject` handles (passed as the objects themselves), at any depth.
 *
 * @category models
 * @since 0.1.0
 */
export type Args = ReadonlyArray<unknown>

/**
 * Keyword arguments of a Python call.
 *
 * @category models
 * @since 0.1.0
 */
export type Kwargs = Readonly<Record<string, unknown>>

/** The native handle a `PyObject` wraps (a non-enumerable symbol property the native module reads too). */
const refOf = (object: PyObject): PyRef => (object as unknown as Record<typeof NativeRef, PyRef>)[NativeRef]

/** Runs a native call and maps its errors to the bridge's classes. */
const bridged = async <A>(run: () => Promise<unknown>, typeName?: string): Promise<A> => {
  try {
    return (await run()) as A
  } catch (error) {
    throw fromNative(error, typeName === undefined ? undefined : { typeName })
  }
}

/**
 * A handle to a live Python object.
 *
 * @category models
 * @since 0.1.0
 */
export class PyObject implements RD.OpaqueValue {
  readonly _tag = "OpaqueValue" as const

  /**
   * Handles are made by the bridge (`Python.import`, `Python.eval`, ...),
   * never by user code.
   *
   * @internal
   */
  constructor(ref: object) {
    Object.defineProperty(this, NativeRef, { value: ref, enumerable: false })
  }

  /** `module.qualname` of the object's type, e.g. `numpy.ndarray`. */
  get typeName(): string {
    return refOf(this).typeName
  }

  /** True once `release()` was called. */
  get released(): boolean {
    return refOf(this).released
  }

  /** `getattr(obj, attr)` as a handle. */
  get(attr: string): Promise<PyObject> {
    return bridged(() => native.getAttr(this, attr, Want.Handle), this.typeName)
  }

  /** `getattr(obj, attr)` converted to a JS value. */
  getJs(attr: string): Promise<RD.RuntimeData> {
    return bridged(() => native.getAttr(this, attr, Want.Value), this.typeName)
  }

  /** `obj(*args, **kwargs)` as a handle. */
  call(args: Args = [], kwargs?: Kwargs): Promise<PyObject> {
    return bridged(() => native.call(this, null, args, kwargs, Want.Handle), this.typeName)
  }

  /** `obj(*args, **kwargs)` converted to a JS value. */
  callJs(args: Args = [], kwargs?: Kwargs): Promise<RD.RuntimeData> {
    return bridged(() => native.call(this, null, args, kwargs, Want.Value), this.typeName)
  }

  /** `obj.name(*args, **kwargs)` as a handle. */
  callMethod(name: string, args: Args = [], kwargs?: Kwargs): Promise<PyObject> {
    return bridged(() => native.call(this, name, args, kwargs, Want.Handle), this.typeName)
  }

  /** `obj.name(*args, **kwargs)` converted to a JS value. */
  callMethodJs(name: string, args: Args = [], kwargs?: Kwargs): Promise<RD.RuntimeData> {
    return bridged(() => native.call(this, name, args, kwargs, Want.Value), this.typeName)
  }

  /**
   * The object as a JS value (RuntimeData). Objects without a JS counterpart
   * come back as (new) `PyObject` handles.
   */
  toJs(): Promise<RD.RuntimeData> {
    return bridged(() => native.toJs(this), this.typeName)
  }

  /**
   * Drops this handle's reference now; the object is freed (on the Python
   * thread) if nothing else refers to it. Idempotent; later use rejects with
   * `PyObjectReleased`.
   */
  release(): void {
    refOf(this).release()
  }

  toString(): string {
    return `PyObject(${this.typeName}${this.released ? ", released" : ""})`
  }

  [NodeInspect](): string {
    return this.toString()
  }
}

/**
 * True for `PyObject` handles.
 *
 * @category guards
 * @since 0.1.0
 */
export const isPyObject = (u: unknown): u is PyObject => u instanceof PyObject

/**
 * Runs a native call and maps its errors to the bridge's classes.
 *
 * @internal
 */
export { bridged }
