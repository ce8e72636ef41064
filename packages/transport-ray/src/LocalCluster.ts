/**
 * LocalCluster: a Ray cluster on this machine for tests, benchmarks and
 * trials, started once and shared by many runs (give its `address` to the
 * transport), unlike the one a driver starts for itself and stops with it.
 *
 * It is `ray start --head --block` in a process group of its own: stopping
 * it stops that group only, never another Ray on the machine (as `ray stop`
 * would). It runs with token authentication off (`RAY_AUTH_MODE=disabled`),
 * so drivers connect without Ray's token: a cluster for this machine, not a
 * network.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PythonEnvironment, TransportUnavailable } from "@remotemedia/core"
import { Effect } from "effect"

/**
 * How the cluster is started.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalClusterSettings {
  /** The interpreter with Ray (default: the one core's `PythonEnvironment` finds). */
  readonly python?: string | undefined
  /** CPUs it offers (default: Ray's, the machine's count). */
  readonly numCpus?: number | undefined
  /** Its object store's size in bytes (default 512 MiB). */
  readonly objectStoreBytes?: number | undefined
  /** Custom resources it offers, by name. */
  readonly resources?: Readonly<Record<string, number>> | undefined
  /** Extra environment of its processes (e.g. `OPENBLAS_NUM_THREADS`). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** How long to wait for it to come up, in milliseconds (default 150 000). */
  readonly startTimeoutMs?: number | undefined
}

/**
 * A running cluster.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalCluster {
  /** Its GCS address (`<node ip>:<port>`): the transport's `address` option, or `RAY_ADDRESS`. */
  readonly address: string
  /** Stops it (SIGTERM to its process group, SIGKILL to what is left after 3 s) and removes its temp dir. */
  readonly stop: () => Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no free port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Signals a process group, if it is still there. */
const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

const pythonOf = (settings: LocalClusterSettings): string => {
  if (settings.python !== undefined) return settings.python
  const found = PythonEnvironment.find()
  if (found._tag === "NotFound") throw new Error(`no Python to start Ray with: ${found.reason}`)
  return found.python
}

/**
 * Starts a cluster and resolves once its head is up. Rejects, with `ray
 * start`'s output, when it exits or does not come up in time.
 *
 * @category constructors
 * @since 0.1.0
 */
export const start = async (settings: LocalClusterSettings = {}): Promise<LocalCluster> => {
  const python = pythonOf(settings)
  // Short: Ray's Unix socket paths under it must stay below 108 characters.
  const tempDir = mkdtempSync(join(tmpdir(), "rmray-"))
  const log = join(tempDir, "ray-start.log")
  const output = openSync(log, "a")
  const head = spawn(python, [
    "-m",
    "ray.scripts.scripts",
    "start",
    "--head",
    "--block",
    `--port=${await freePort()}`,
    ...(settings.numCpus === undefined ? [] : [`--num-cpus=${settings.numCpus}`]),
    `--object-store-memory=${settings.objectStoreBytes ?? 512 * 1024 * 1024}`,
    ...(settings.resources === undefined ? [] : [`--resources=${JSON.stringify(settings.resources)}`]),
    "--include-dashboard=false",
    "--disable-usage-stats",
    `--temp-dir=${tempDir}`
  ], {
    detached: true,
    stdio: ["ignore", output, output],
    env: { ...process.env, ...settings.env, RAY_AUTH_MODE: "disabled" }
  })
  const pid = head.pid
  if (pid === undefined) throw new Error(`cannot start a Ray head with ${python}`)
  let stopped: Promise<void> | undefined
  const stop = () =>
    (stopped ??= (async () => {
      // A throwaway cluster: it gets a moment to drain (Ray's own drain can take 30 s), then its group is killed.
      signalGroup(pid, "SIGTERM")
      const deadline = Date.now() + 3_000
      while (!exited(head) && Date.now() < deadline) await sleep(100)
      await sleep(500)
      signalGroup(pid, "SIGKILL") // whatever of the group outlived the head
      rmSync(tempDir, { recursive: true, force: true })
    })())
  // `ray start` writes the cluster's address file once the head is up, just before it blocks.
  const ready = join(tempDir, "ray_current_cluster")
  const deadline = Date.now() + (settings.startTimeoutMs ?? 150_000)
  while (!existsSync(ready) || readFileSync(ready, "utf8").trim() === "") {
    if (exited(head) || Date.now() > deadline) {
      const said = readFileSync(log, "utf8")
      await stop()
      throw new Error(`the local Ray cluster did not start (${python} -m ray.scripts.scripts start):\n${said}`)
    }
    await sleep(250)
  }
  return { address: readFileSync(ready, "utf8").trim(), stop }
}

/**
 * {@link start} as a scoped resource: the cluster stops when the scope
 * closes. Fails with `TransportUnavailable` when it cannot start.
 *
 * @category constructors
 * @since 0.1.0
 */
export const scoped = (settings: LocalClusterSettings = {}) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(settings),
      catch: (e) =>
        new TransportUnavailable({ transport: "ray", packageName: "", detail: e instanceof Error ? e.message : String(e) })
    }),
    (cluster) => Effect.promise(cluster.stop)
  )
