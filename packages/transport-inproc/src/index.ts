/**
 * @remotemedia/transport-inproc: runs Python nodes in the CPython interpreter
 * embedded in this Node.js process. Selected by the transport name `inproc`
 * (the default). Python `Pipeline` and `Node` objects are accepted as
 * pipelines through `@remotemedia/python-bridge`.
 *
 * @since 0.1.0
 */
export * as InprocTransport from "./InprocTransport.js"

export { create, type InprocOptions, layer, layerConfig, make } from "./InprocTransport.js"
