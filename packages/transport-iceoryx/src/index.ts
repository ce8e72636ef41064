/**
 * @remotemedia/transport-iceoryx: runs Python nodes in `python -m
 * remotemedia.worker` subprocesses like transport-ipc, their media payloads
 * in iceoryx2 shared memory (written once, read in place). Selected by the
 * transport name `iceoryx`.
 *
 * @since 0.1.0
 */
export * as IceoryxTransport from "./IceoryxTransport.js"

export { CleanupTimeout, ItemTimeout, ProtocolError, WorkerCrashed, WorkerStartError } from "@remotemedia/transport-ipc"
export {
  allocate,
  create,
  type IceoryxOptions,
  layer,
  layerConfig,
  make,
  type SharedMemoryOptions,
  tensor
} from "./IceoryxTransport.js"
