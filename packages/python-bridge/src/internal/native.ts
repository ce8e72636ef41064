/**
 * The generated Node-API loader (`#native` -> ./index.js, written by
 * `napi build`) and the one-time registration of this module copy's classes
 * with it. Internal: the public surface is `Interpreter` and `PyObject`.
 *
 * @internal
 */
import * as native from "#native"

export type { PyRef, StartInfo } from "#native"

/** How a native call returns its result. */
export const Want = {
  Handle: 0,
  Value: 1,
  Nothing: 2
} as const

/**
 * The symbol under which a `PyObject` keeps its native `PyRef`. Global
 * (`Symbol.for`) so a second copy of this package (its CJS build next to the
 * ESM one) shares it.
 */
export const NativeRef: unique symbol = Symbol.for("@remotemedia/python-bridge/PyRef") as never

export { native }
