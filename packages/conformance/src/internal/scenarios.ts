// The scenario groups of the conformance suite, one module per concern.
export { data } from "./data.js"
export { instances, mixed } from "./instances.js"
export { errors, lifecycle, validation } from "./lifecycle.js"
export { manifests } from "./manifests.js"
export { outputs, streaming } from "./outputs.js"
export { graphs } from "./graphs.js"
