/**
 * @remotemedia/transport-ipc: runs Python nodes (manifest nodes, serialized
 * instances and live Python objects) in `python -m remotemedia.worker`
 * subprocesses, speaking length-prefixed msgpack frames over a dedicated
 * pipe (requests) and Unix socket (replies). Selected by the transport name
 * `ipc`.
 *
 * @since 0.1.0
 */
export * as Host from "./Host.js"
export * as IpcError from "./IpcError.js"
export * as IpcTransport from "./IpcTransport.js"

export { CleanupTimeout, ItemTimeout, ProtocolError, WorkerCrashed, WorkerStartError } from "./IpcError.js"
export { create, type IpcOptions, layer, layerConfig, make, type PoolOptions, type WorkerInfo } from "./IpcTransport.js"
export { PickledObject } from "./PickledObject.js"
