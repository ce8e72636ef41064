/**
 * The worker model for sibling transports (`@remotemedia/transport-ipc/shared`):
 * what a transport that runs Python nodes in `python -m remotemedia.worker`
 * subprocesses reuses rather than copies — the transport itself
 * ({@link makeWorkerTransport}, with the sessions, stages, pool, restart and
 * errors of `ipc`), and the hook for a payload channel beside the frames
 * ({@link PayloadLink}). Not part of the public API: it changes with the
 * transports that use it.
 *
 * @since 0.1.0
 */
export { BLOB_THRESHOLD, type Blobs } from "./internal/Codec.js"
export type { Hello } from "./internal/Protocol.js"
export { type Extension, makeWorkerTransport } from "./internal/WorkerTransport.js"
export type { PayloadLink } from "./internal/WorkerProcess.js"
