/**
 * PythonError: an exception raised by Python code, wherever it ran (the
 * embedded interpreter or a worker subprocess), as one Schema-backed tagged
 * error so it is matchable, survives encoding across processes, and prints
 * its Python traceback. Transports put it in the `cause` of
 * `NodeInitializeError` / `NodeProcessError` / `NodeCleanupError`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const NodeInspect = Symbol.for("nodejs.util.inspect.custom")

const indent = (text: string): string =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")

const jsFrames = (stack: string | undefined): string => {
  if (stack === undefined) return ""
  const at = stack.indexOf("\n    at ")
  return at === -1 ? "" : stack.slice(at)
}

/**
 * A Python exception as the Python side reports it (`runtime_host.error_record`,
 * the worker protocol's `error` reply): class name, module, `str(exc)` and the
 * formatted traceback, plus the index of the failing item when there is one.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorRecord {
  readonly type: string
  readonly module?: string | null | undefined
  readonly message: string
  readonly traceback: string
  readonly index?: number | null | undefined
  /**
   * The exception object itself, where it lives in this process (the
   * embedded interpreter's records carry a handle to it); never encoded.
   */
  readonly exception?: unknown
}


/**
 * Python code raised. `pyType` is the exception class (`ValueError`),
 * `pyModule` its module (`builtins`), `pyMessage` is `str(exception)` and
 * `traceback` the full formatted traceback (chained causes included). The
 * `message` is `${pyType}: ${pyMessage}`.
 *
 * @category errors
 * @since 0.1.0
 */
export class PythonError extends Schema.TaggedError<PythonError>()("PythonError", {
  pyType: Schema.String,
  pyModule: Schema.String,
  pyMessage: Schema.String,
  traceback: Schema.String
}) {
  constructor(props: { readonly pyType: string; readonly pyModule: string; readonly pyMessage: string; readonly traceback: string }) {
    super(props)
    Object.defineProperty(this, "stack", {
      value: `${this.name}: ${this.message}\n${indent(this.traceback)}${jsFrames(this.stack)}`,
      writable: true,
      configurable: true,
      enumerable: false
    })
  }

  override get message(): string {
    return `${this.pyType}: ${this.pyMessage}`
  }

  /**
   * The exception object itself when it lives in this process (a handle
   * into the embedded interpreter, which Python code awaiting the run
   * re-raises as is); `undefined` when it was raised in another process.
   * Not part of the encoded error.
   */
  declare readonly exception: unknown

  /**
   * The record as a `PythonError`, so every transport reports Python
   * failures in one shape (a record without a module names a builtin).
   */
  static fromRecord(record: ErrorRecord): PythonError {
    const error = new PythonError({
      pyType: record.type,
      pyModule: record.module ?? "builtins",
      pyMessage: record.message,
      traceback: record.traceback
    })
    Object.defineProperty(error, "exception", { value: record.exception, enumerable: false })
    return error
  }

  /** Prints the Python traceback (Node's `util.inspect`, `console.log`). */
  [NodeInspect](): string {
    return this.stack ?? this.message
  }
}
