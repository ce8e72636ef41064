/**
 * PickledObject: a Python object with no TypeScript equivalent, as a worker
 * sent it. TypeScript cannot look inside but forwards it: the next Python
 * node receives the object itself.
 *
 * @since 0.1.0
 */
import type { RuntimeData } from "@remotemedia/core"

/**
 * A Python object with no TypeScript equivalent, as the worker sent it: its
 * type name and its pickle. Sending it back to a worker gives the next Python
 * node the object itself.
 *
 * @category models
 * @since 0.1.0
 */
export class PickledObject implements RuntimeData.OpaqueValue {
  readonly _tag = "OpaqueValue"
  constructor(
    /** The Python type, e.g. `fractions.Fraction`. */
    readonly typeName: string,
    /** The cloudpickle bytes (a view of the received frame). */
    readonly pickle: Uint8Array
  ) {}
}
