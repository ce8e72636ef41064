// Starts one local Ray cluster for the whole test run and gives its address to the tests (`inject("rayAddress")`).
// The head runs as `ray start --head --block` in a process group of its own: stopping that group stops this cluster
// (its processes share the fate of the blocking `ray start`), never another Ray on the machine as `ray stop` would.
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PythonEnvironment } from "@remotemedia/core"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** The GCS address of the test cluster (`<node ip>:<port>`). */
    rayAddress: string
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const exited = (child: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve(true)
    })
  })

/** Signals the head's process group, if it is still there. */
const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = PythonEnvironment.find()
  if (found._tag === "NotFound") throw new Error(`the tests need a Python: ${found.reason}`)
  const port = await freePort()
  // Short: Ray's Unix socket paths under it must stay below 108 characters.
  const tempDir = mkdtempSync(join(tmpdir(), "rmray-"))
  const log = join(tempDir, "ray-start.log")
  const out = openSync(log, "a")
  const head = spawn(found.python, [
    "-m",
    "ray.scripts.scripts",
    "start",
    "--head",
    "--block",
    `--port=${port}`,
    "--num-cpus=2",
    "--object-store-memory=536870912",
    "--include-dashboard=false",
    "--disable-usage-stats",
    `--temp-dir=${tempDir}`
  ], {
    detached: true,
    stdio: ["ignore", out, out],
    // Ray 2.60 turns token authentication on for `ray start`, which drivers connecting without the token cannot pass.
    env: { ...process.env, RAY_AUTH_MODE: "disabled" }
  })
  const pid = head.pid
  if (pid === undefined) throw new Error(`cannot start the Ray head with ${found.python}`)
  const stop = async () => {
    signalGroup(pid, "SIGTERM")
    if (!(await exited(head, 20_000))) signalGroup(pid, "SIGKILL")
    await sleep(500)
    signalGroup(pid, "SIGKILL") // whatever of the group outlived the head
    rmSync(tempDir, { recursive: true, force: true })
  }
  // `ray start` writes the cluster's address file once the head is up, just before it blocks.
  const ready = join(tempDir, "ray_current_cluster")
  const deadline = Date.now() + 150_000
  while (!existsSync(ready) || readFileSync(ready, "utf8").trim() === "") {
    if (head.exitCode !== null || head.signalCode !== null || Date.now() > deadline) {
      const output = readFileSync(log, "utf8")
      await stop()
      throw new Error(`the test Ray cluster did not start (port ${port}):\n${output}`)
    }
    await sleep(250)
  }
  project.provide("rayAddress", readFileSync(ready, "utf8").trim())
  return stop
}
