/**
 * @remotemedia/transport-ray: runs Python nodes as Ray actors, on a Ray
 * cluster or a local one, driven by a `python -m remotemedia.worker --ray`
 * subprocess that speaks transport-ipc's worker protocol. Selected by the
 * transport name `ray`.
 *
 * @since 0.1.0
 */
export * as RayTransport from "./RayTransport.js"

export { CleanupTimeout, ItemTimeout, ProtocolError, WorkerCrashed, WorkerStartError } from "@remotemedia/transport-ipc"
export { create, layer, layerConfig, type LocalClusterOptions, make, type RayOptions } from "./RayTransport.js"
export * as LocalCluster from "./LocalCluster.js"
