/**
 * Host: runs this process as the TypeScript runtime of a standalone Python
 * caller (`python script.py` calling `remotemedia.execute_pipeline`), which
 * started it as a child process with four pipes: a control channel (`run`,
 * `shutdown`) and a worker channel on which the caller serves its own `Node`
 * objects, so they run as the exact objects in the caller's process. Manifest
 * nodes run on the transport selected per run. PROTOCOL.md, "Standalone
 * callers", is the specification; the `remotemedia host` command calls
 * {@link serve}.
 *
 * @since 0.1.0
 */
export { type HostOptions, serve } from "./internal/Host.js"
