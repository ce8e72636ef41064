/**
 * RuntimeHost: `remotemedia.runtime_host`, the Python functions transports
 * call to build, validate, initialize, run and clean up nodes, imported once
 * per interpreter; and the error records those functions return for a node's
 * own failures (core's `ErrorRecord`).
 *
 * @since 0.1.0
 */
import type * as Core from "@remotemedia/core"
import type { Python } from "./Interpreter.js"
import { native, Want } from "./internal/native.js"
import { bridged, type PyObject } from "./PyObject.js"

/**
 * A node's exception as `runtime_host` describes it: core's record shape
 * (convert it with core's `PythonError.fromRecord`).
 *
 * @category models
 * @since 0.1.0
 */
export type ErrorRecord = Core.ErrorRecord

const hosts = new WeakMap<Python, Promise<PyObject>>()

/**
 * `remotemedia.runtime_host` in `python`, imported on first use.
 *
 * @category getters
 * @since 0.1.0
 */
export const runtimeHost = (python: Python): Promise<PyObject> => {
  let host = hosts.get(python)
  if (host === undefined) {
    host = python.import("remotemedia.runtime_host")
    hosts.set(python, host)
    host.catch(() => hosts.delete(python))
  }
  return host
}

/**
 * `host.<method>(*args)` converted to JS; the caller names the shape `runtime_host` documents.
 * With `on` (the node the call works for), it runs on that node's Python thread, where every
 * call made on the node's behalf runs in order; otherwise on the main Python thread.
 *
 * @category calls
 * @since 0.1.0
 */
export const callJs = <A>(host: PyObject, method: string, args: ReadonlyArray<unknown>, on?: PyObject): Promise<A> =>
  bridged(() => native.call(host, method, args, undefined, Want.Value, on), host.typeName)
