// Shared set-up of the TypeScript examples (not an example itself): the transport to use and the embedded Python.
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { start } from "@remotemedia/python-bridge"

/** The transport an example runs on: its first argument, else $REMOTEMEDIA_TRANSPORT, else inproc. */
export const transport = process.argv[2] || process.env.REMOTEMEDIA_TRANSPORT || "inproc"

// Lets the Python nodes tell this process (where inproc runs them) from a worker; workers inherit it.
process.env.EXAMPLE_CALLER_PID = String(process.pid)

/** The embedded interpreter, with examples/ on sys.path (example_nodes.py, vad_node.py). */
export const python = start({ paths: [dirname(fileURLToPath(import.meta.url))] })

/** `module.name(kwargs)`: a live Python object built here, configured in Python terms. */
export const create = async (module, name, kwargs) => (await (await python.import(module)).get(name)).call([], kwargs)
