/**
 * @remotemedia/transport-ipc: runs Python nodes (manifest nodes, serialized
 * instances and live Python objects) in `python -m remotemedia.worker`
 * subprocesses, speaking length-prefixed msgpack frames over a dedicated
 * pipe (requests) and Unix socket (replies). Selected by the transport name
 * `ipc`.
 *
 * @since 0.1.0
 */
export * as Codec from "./Codec.js"
export * as Framing from "./Framing.js"
export * as Interpreter from "./Interpreter.js"
export * as IpcError from "./IpcError.js"
export * as IpcTransport from "./IpcTransport.js"
export * as LiveInstance from "./LiveInstance.js"
export * as Protocol from "./Protocol.js"
export * as Session from "./Session.js"
export * as Stages from "./Stages.js"
export * as WorkerProcess from "./WorkerProcess.js"

export { PickledObject } from "./Codec.js"
export { CleanupTimeout, ItemTimeout, ProtocolError, WorkerCrashed, WorkerStartError } from "./IpcError.js"
export { create, type IpcOptions, layer, layerConfig, make, type WorkerInfo } from "./IpcTransport.js"
