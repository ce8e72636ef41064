/**
 * The errors of the Python bridge. Each is a Schema-backed tagged error, so
 * it can be matched with `Effect.catchTag`, encoded (for example to cross a
 * process boundary) and is the very instance a Promise rejects with.
 *
 * A Python exception becomes core's `PythonError` carrying the exception's
 * type, message and full formatted traceback; printing it (or reading its
 * `stack`) shows the Python traceback above the JS frames.
 *
 * @since 0.1.0
 */
import { PythonError } from "@remotemedia/core"
import { Schema } from "effect"

export {
  /**
   * A Python exception (type, module, message, full traceback); the same
   * class every transport reports, defined in `@remotemedia/core`.
   *
   * @category errors
   * @since 0.1.0
   */
  PythonError
}

/**
 * Python could not be started: no virtual environment was found, the one
 * given is unusable, libpython could not be loaded, or the interpreter is
 * already running with another venv. `tried` lists what was looked at.
 *
 * @category errors
 * @since 0.1.0
 */
export class PythonStartError extends Schema.TaggedError<PythonStartError>()("PythonStartError", {
  reason: Schema.String,
  tried: Schema.Array(Schema.String)
}) {
  override get message(): string {
    if (this.tried.length === 0) return this.reason
    return `${this.reason}; tried: ${this.tried.join(", ")}`
  }
}

/**
 * A value has no counterpart on the other side (a JS function, a `Map`, ...),
 * is malformed, refers back to itself or is nested too deep. The message names
 * where, e.g. `cannot convert args[1].samples: ...` (the middle of a very long
 * path is elided). `reason` is `"cycle"` for cyclic data and `"depth"` for
 * data nested deeper than core's `RuntimeData.MAX_DEPTH`; other problems
 * leave it unset.
 *
 * @category errors
 * @since 0.1.0
 */
export class PythonConversionError extends Schema.TaggedError<PythonConversionError>()("PythonConversionError", {
  detail: Schema.String,
  reason: Schema.optional(Schema.Literals(["cycle", "depth"]))
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * A `PyObject` was used after `release()`.
 *
 * @category errors
 * @since 0.1.0
 */
export class PyObjectReleased extends Schema.TaggedError<PyObjectReleased>()("PyObjectReleased", {
  typeName: Schema.String
}) {
  override get message(): string {
    return `this PyObject (${this.typeName}) was released`
  }
}

/**
 * The bridge itself failed: Python was not started in this process or
 * thread, or an internal error occurred.
 *
 * @category errors
 * @since 0.1.0
 */
export class PythonBridgeError extends Schema.TaggedError<PythonBridgeError>()("PythonBridgeError", {
  code: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Every error the bridge rejects with.
 *
 * @category errors
 * @since 0.1.0
 */
export type BridgeError = PythonError | PythonStartError | PythonConversionError | PyObjectReleased | PythonBridgeError

/**
 * Maps an error thrown by the native module to its class (others pass
 * through unchanged).
 *
 * @internal
 */
export const fromNative = (error: unknown, context?: { readonly typeName?: string; readonly tried?: ReadonlyArray<string> }): unknown => {
  if (typeof error !== "object" || error === null) return error
  const e = error as { readonly code?: unknown; readonly message?: unknown } & Record<string, unknown>
  const text = typeof e.message === "string" ? e.message : "the native module failed without a message"
  switch (e.code) {
    case "ERR_PYTHON_EXCEPTION":
      return new PythonError({
        pyType: String(e["pyType"]),
        pyModule: String(e["pyModule"]),
        pyMessage: String(e["pyMessage"]),
        traceback: String(e["traceback"])
      })
    case "ERR_PYTHON_START":
      return new PythonStartError({ reason: text, tried: [...(context?.tried ?? [])] })
    case "ERR_PYTHON_CONVERSION":
      return new PythonConversionError({
        detail: text,
        ...(e["reason"] === "cycle" || e["reason"] === "depth" ? { reason: e["reason"] } : {})
      })
    case "ERR_PYOBJECT_RELEASED":
      return new PyObjectReleased({ typeName: context?.typeName ?? "unknown" })
    case "ERR_PYTHON_NOT_STARTED":
    case "ERR_PYTHON_BRIDGE":
    case "ERR_NODE_API":
      return new PythonBridgeError({ code: e.code, detail: text })
    default:
      return error
  }
}
