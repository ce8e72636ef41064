// Shared test setup: the interpreter, the fixture nodes, and what iceoryx2 left in /dev/shm and its temp dirs.
import { existsSync, readdirSync } from "node:fs"
import { tmpdir, userInfo } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeRef, PythonEnvironment } from "@remotemedia/core"
import type { IceoryxOptions } from "../src/IceoryxTransport.js"

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures")
const found = PythonEnvironment.find()
if (found._tag === "NotFound") throw new Error(`the tests need a Python: ${found.reason}`)
export const python = found.python

/** Options every test transport uses: the fixture module is importable and allowed. */
export const base: IceoryxOptions = {
  python,
  env: { PYTHONPATH: fixturesDir },
  allowedModules: ["iceoryx_test_nodes"],
  stderrLogLevel: "Debug"
}

/** A manifest node of the fixture module. */
export const fixture = (id: string, cls: string, params: Record<string, unknown> = {}): NodeRef.ManifestNode =>
  NodeRef.manifestNode(id, `iceoryx_test_nodes:${cls}`, params)

/** The iceoryx2 resources of this process's channels (`/dev/shm/iox2_rm<pid>x*`, root dirs `<pid>x*`). */
export const leftovers = (pid: number = process.pid): ReadonlyArray<string> => {
  const mine = (name: string) => name.startsWith(`iox2_rm${pid}x`) || name.startsWith(`${pid}x`)
  const shm = existsSync("/dev/shm") ? readdirSync("/dev/shm").filter(mine).map((n) => `/dev/shm/${n}`) : []
  const base = join(tmpdir(), `remotemedia-iceoryx-${userInfo().uid}`)
  const roots = existsSync(base) ? readdirSync(base).filter(mine).map((n) => join(base, n)) : []
  return [...shm, ...roots]
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
