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
 * A cancellation flag shared with Python: `new CancelToken()`, `cancel()`,
 * `cancelled`.
 *
 * @category models
 * @since 0.1.0
 */
export const CancelToken: typeof native.CancelToken = native.CancelToken

/**
 * @category models
 * @since 0.1.0
 */
export type CancelToken = native.CancelToken
