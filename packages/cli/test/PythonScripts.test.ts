// The Python-script conformance scenarios, run every way Python meets the runtime: `remotemedia run script.py` on
// each transport (inside the runtime), and standalone `python script.py` (the runtime as a child process).
import { join } from "node:path"
import { type PythonScriptMode, pythonScriptSuite } from "@remotemedia/conformance"
import { BIN } from "./cli.js"

const PYTHON = join(import.meta.dirname, "..", "..", "..", "python", ".venv", "bin", "python")

const inside = (transport: string): PythonScriptMode => ({
  name: `remotemedia run --transport ${transport}`,
  command: (script, args) => ({ file: process.execPath, args: [BIN, "run", script, "--transport", transport, "--", ...args] }),
  sharesObjects: transport === "inproc",
  isolatesCrashes: transport !== "inproc"
})

const standalone = (transport: string): PythonScriptMode => ({
  name: `python script.py, REMOTEMEDIA_TRANSPORT=${transport}`,
  command: (script, args) => ({ file: PYTHON, args: [script, ...args], env: { REMOTEMEDIA_TRANSPORT: transport, REMOTEMEDIA_CLI: BIN } }),
  // The script's own nodes run in the script's process, served to the runtime child; on ray they are shipped to the
  // cluster as copies, as they are inside the runtime.
  sharesObjects: transport !== "ray",
  isolatesCrashes: transport === "ray"
})

// On ray, with no RAY_ADDRESS, each script's driver starts a local Ray cluster of its own (a few seconds) and stops it.
for (const transport of ["inproc", "ipc", "iceoryx", "ray"]) pythonScriptSuite(inside(transport))
for (const transport of ["inproc", "ipc", "ray"]) pythonScriptSuite(standalone(transport))
