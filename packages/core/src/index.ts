/**
 * @remotemedia/core: typed pipelines of Python and TypeScript nodes, their
 * lifecycle, the Transport contract and the executor. The Effect API lives in
 * the module namespaces (`Executor.executePipelineWithInput`, ...); the
 * top-level functions are the Promise API.
 *
 * @since 0.1.0
 */
export * as Executor from "./Executor.js"
export * as Manifest from "./Manifest.js"
export * as Metrics from "./Metrics.js"
export * as NodeRef from "./NodeRef.js"
export * as Pipeline from "./Pipeline.js"
export * as PipelineError from "./PipelineError.js"
export * as PythonEnvironment from "./PythonEnvironment.js"
export * as RuntimeData from "./RuntimeData.js"
export * as Transport from "./Transport.js"
export * as TransportSelection from "./TransportSelection.js"
export * as TsStage from "./TsStage.js"

export { executePipeline, executePipelineWithInput, type PromiseOptions, streamPipeline } from "./PromiseApi.js"
export {
  InvalidPipelineInput,
  ManifestError,
  NodeCleanupError,
  NodeInitializeError,
  NodeProcessError,
  TransportUnavailable
} from "./PipelineError.js"
export { type ErrorRecord, PythonError } from "./PythonError.js"
export { Audio, InvalidRuntimeData, Tensor, VideoFrame } from "./RuntimeData.js"
