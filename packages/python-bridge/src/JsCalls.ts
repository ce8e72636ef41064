/**
 * JsCalls: JS functions served to Python code in the embedded interpreter.
 * Python calls them through the `_remotemedia_js` module (`call_async(name,
 * args, future)` resolves an asyncio future; `call(name, args)` waits), with
 * one argument and one result, both RuntimeData (Python objects cross as
 * `PyObject` handles and come back as the same objects).
 *
 * Nothing deadlocks: an awaiting coroutine blocks no Python thread, and a
 * bridge thread that waits serves its own queue meanwhile, so a served
 * function may call back into Python, on any thread, while Python waits
 * for it. Each call in flight keeps the process alive until it settles.
 *
 * A failure reaches Python as the Python exception it carries (a node's own
 * exception, when it was raised in this process), else as
 * `remotemedia.errors.JsError` with the error's name, message, JS stack and
 * `details` ({@link failureOf}).
 *
 * @since 0.1.0
 */
import { native } from "./internal/native.js"
import { isPyObject, type PyObject } from "./PyObject.js"

/**
 * A served function: takes the call's argument, returns (or resolves to) its result.
 *
 * @category models
 * @since 0.1.0
 */
export type Handler = (args: unknown) => unknown

/**
 * What Python is told about a failed call.
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure {
  /** The error's `_tag` or `name`, e.g. `NodeProcessError`. */
  readonly name: string
  /** Its message. */
  readonly message: string
  /** Its JS stack. */
  readonly stack?: string | undefined
  /** The Python exception it carries, re-raised in Python as is. */
  readonly exception?: PyObject | undefined
  /**
   * The error's own scalar fields; `causes`, the `_tag` (or `name`) of each
   * error along the `cause` chain, outermost first; and `python` (type,
   * module, message, traceback) when a Python exception caused it.
   */
  readonly details: Readonly<Record<string, unknown>>
}

const causes = function*(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>()
  for (let e = error; typeof e === "object" && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    yield e
  }
}

const scalarFields = (error: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(error)) {
    if (key === "cause" || key === "stack") continue
    if (["string", "number", "boolean"].includes(typeof value)) out[key] = value
  }
  return out
}

/**
 * Describes `error` for Python: name, message, stack, the Python exception
 * object found along its `cause` chain, and its fields.
 *
 * @category conversions
 * @since 0.1.0
 */
export const failureOf = (error: unknown): Failure => {
  if (!(error instanceof Error)) {
    return { name: "Error", message: String(error), details: {} }
  }
  const tag = (error as { _tag?: unknown })._tag
  let exception: PyObject | undefined
  const details: Record<string, unknown> = scalarFields(error)
  const chain: Array<string> = []
  details["causes"] = chain
  for (const e of causes(error)) {
    const name = (e as { _tag?: unknown; name?: unknown })._tag ?? (e as { name?: unknown }).name
    if (typeof name === "string") chain.push(name)
    const carried = (e as { exception?: unknown }).exception
    if (exception === undefined && isPyObject(carried)) exception = carried
    const python = e as { pyType?: unknown; pyModule?: unknown; pyMessage?: unknown; traceback?: unknown }
    if (details["python"] === undefined && typeof python.pyType === "string") {
      details["python"] = {
        type: python.pyType,
        module: python.pyModule,
        message: python.pyMessage,
        traceback: python.traceback
      }
    }
  }
  return {
    name: typeof tag === "string" ? tag : error.name,
    message: error.message,
    stack: error.stack,
    exception,
    details
  }
}

const served = new Map<string, Handler>()

const settle = (id: number, run: () => unknown): void => {
  Promise.resolve()
    .then(run)
    .then(
      (value) => native.settleJsCall(id, true, value),
      (error: unknown) => native.settleJsCall(id, false, failureOf(error))
    )
    .catch((error: unknown) => native.settleJsCall(id, false, failureOf(error)))
}

const dispatch = (id: number, method: string, args: unknown): void =>
  settle(id, () => {
    const handler = served.get(method)
    if (handler === undefined) {
      const names = [...served.keys()].join(", ") || "(none)"
      throw new Error(`no JavaScript function '${method}' is served to Python; served: ${names}`)
    }
    return handler(args)
  })

/**
 * Serves `handlers` to Python under their names (replacing functions served
 * under the same names before). Returns a function that stops serving them.
 * A call to a name not served fails naming the served ones; with nothing
 * served, Python's calls fail at once.
 *
 * @category serving
 * @since 0.1.0
 */
export const serve = (handlers: Readonly<Record<string, Handler>>): () => void => {
  const entries = Object.entries(handlers)
  if (served.size === 0 && entries.length > 0) native.serveCalls(dispatch)
  for (const [name, handler] of entries) served.set(name, handler)
  return () => {
    for (const [name, handler] of entries) {
      if (served.get(name) === handler) served.delete(name)
    }
    if (served.size === 0) native.serveCalls(null)
  }
}
