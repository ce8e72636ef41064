/**
 * `CancelToken`: asks a running Python call to stop early. Pass a token as an
 * argument of a call (`obj.callMethodJs("work", [items, token])`); Python
 * receives an object whose `is_set()` turns true once `cancel()` is called, as
 * with `threading.Event`. Cancelling is immediate and needs nothing from the
 * Python thread, which may be busy with that very call: Python code sees it
 * the next time it checks. `remotemedia.runtime_host` checks before each item
 * of a batch or source chunk, which is how transports stop a run that was
 * aborted or interrupted.
 *
 * Tokens work in worker threads too, and a token coming back from Python is a
 * `CancelToken` sharing the same flag.
 *
 * @since 0.1.0
 */
import { native } from "./internal/native.js"

/**
 * A cancellation flag shared with Python.
 *
 * @category models
 * @since 0.1.0
 */
export interface CancelToken {
  /** Asks the call holding this token to stop (idempotent; from any thread). */
  cancel(): void
  /** True once `cancel()` was called. */
  readonly cancelled: boolean
}

/**
 * `new CancelToken()`: a token not cancelled yet (the native class).
 *
 * @category constructors
 * @since 0.1.0
 */
export const CancelToken: new() => CancelToken = native.CancelToken
