// Shared test setup: the interpreter, the fixture nodes' folder, transport options that reach them.
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeRef, PythonEnvironment } from "@remotemedia/core"
import type { IpcOptions } from "../src/IpcTransport.js"

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures")
const found = PythonEnvironment.find()
if (found._tag === "NotFound") throw new Error(`the tests need a Python: ${found.reason}`)
export const python = found.python

/** Options every test transport uses: the fixture module is importable and allowed. */
export const base: IpcOptions = {
  python,
  env: { PYTHONPATH: fixturesDir },
  allowedModules: ["ipc_test_nodes"],
  stderrLogLevel: "Debug"
}

/** A manifest node of the fixture module. */
export const fixture = (id: string, cls: string, params: Record<string, unknown> = {}): NodeRef.ManifestNode =>
  NodeRef.manifestNode(id, `ipc_test_nodes:${cls}`, params)

/** A fixture instance serialized by a Python script (cleanup() + cloudpickle), as a SerializedInstance. */
export const serialized = (id: string, expression: string): NodeRef.SerializedInstance => {
  const code = [
    "import sys",
    "from remotemedia import serialize_node_for_ipc",
    "from ipc_test_nodes import *",
    `sys.stdout.buffer.write(serialize_node_for_ipc(${expression}))`
  ].join("\n")
  const bytes = execFileSync(python, ["-c", code], { env: { ...process.env, PYTHONPATH: fixturesDir } })
  return NodeRef.serializedInstance({ bytes: new Uint8Array(bytes), name: id, id, className: `ipc_test_nodes.${expression.split("(")[0]}` })
}

/** Whether a process exists and is not a zombie. */
export const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] !== "Z"
  } catch {
    return false
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` every 20 ms until it holds or `ms` pass; returns whether it held. */
export const eventually = async (check: () => boolean, ms = 5_000): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (check()) return true
    await sleep(20)
  }
  return check()
}
