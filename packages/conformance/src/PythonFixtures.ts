/**
 * PythonFixtures: the Python side of the conformance suite. Starts (or joins)
 * the embedded interpreter through `@remotemedia/python-bridge`, creates the
 * fixture nodes of `remotemedia.testing` as live objects, reads their
 * attributes back, and reads lifecycle log files, which fixture nodes write
 * from whichever process runs them.
 *
 * @since 0.1.0
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type PyObject, type Python, start, type StartOptions } from "@remotemedia/python-bridge"

/**
 * How the suite starts Python: the bridge's start options (by default the
 * bridge finds the venv: `REMOTEMEDIA_VENV`, `VIRTUAL_ENV`, the nearest
 * `python/.venv`). Give the transport under test the same venv.
 *
 * @category models
 * @since 0.1.0
 */
export type PythonOptions = StartOptions

/**
 * One line of a lifecycle log: which node did what.
 *
 * @category models
 * @since 0.1.0
 */
export interface LogEvent {
  readonly node: string
  readonly event: string
  /** The process that logged it. */
  readonly pid: number
}

/**
 * A lifecycle log file: fixture nodes given its `path` as `log_path` append
 * `<name> <event> pid=<pid>` lines to it.
 *
 * Transports that ship instances to another process call `cleanup()` on the
 * caller's object before pickling it (FR-006): with `shipped: true`, counts
 * cover only the events of the process the node ran in, and `callerEvents`
 * lists what the caller's copy logged.
 *
 * @category models
 * @since 0.1.0
 */
export interface LifecycleLog {
  readonly path: string
  /** Every event so far, in order. */
  readonly events: () => ReadonlyArray<LogEvent>
  /** The events `node` logged where it ran, in order. */
  readonly eventsOf: (node: string) => ReadonlyArray<string>
  /** How many times `node` logged `event` where it ran. */
  readonly count: (node: string, event: string) => number
  /** The events `node`'s copy in this (the caller's) process logged, when instances are shipped. */
  readonly callerEvents: (node: string) => ReadonlyArray<string>
}

/**
 * A fresh, empty lifecycle log in a temporary folder.
 *
 * @category constructors
 * @since 0.1.0
 */
export const lifecycleLog = (options: { readonly shipped?: boolean } = {}): LifecycleLog => {
  const path = join(mkdtempSync(join(tmpdir(), "remotemedia-conformance-")), "lifecycle.log")
  const events = (): ReadonlyArray<LogEvent> => {
    if (!existsSync(path)) return []
    return readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((line) => {
      const [node = "", event = "", pid = ""] = line.split(" ")
      return { node, event, pid: Number(pid.replace("pid=", "")) }
    })
  }
  const inCaller = (e: LogEvent) => options.shipped === true && e.pid === process.pid
  return {
    path,
    events,
    eventsOf: (node) => events().filter((e) => e.node === node && !inCaller(e)).map((e) => e.event),
    count: (node, event) => events().filter((e) => e.node === node && e.event === event && !inCaller(e)).length,
    callerEvents: (node) => events().filter((e) => e.node === node && inCaller(e)).map((e) => e.event)
  }
}

/**
 * Access to `remotemedia.testing` in the embedded interpreter.
 *
 * @category models
 * @since 0.1.0
 */
export interface Fixtures {
  readonly python: Python
  /** The `remotemedia.testing` module. */
  readonly module: PyObject
  /** `remotemedia.testing.<name>(**kwargs)`: a fixture node, or another callable's result. */
  readonly make: (name: string, kwargs?: Record<string, unknown>) => Promise<PyObject>
  /** `object.<attr>`, converted to a JS value. */
  readonly get: (object: PyObject, attr: string) => Promise<unknown>
  /** `object.<method>(*args)`, converted to a JS value. */
  readonly call: (object: PyObject, method: string, ...args: ReadonlyArray<unknown>) => Promise<unknown>
}

let cached: Promise<Fixtures> | undefined

/**
 * Starts (or joins) the interpreter and imports `remotemedia.testing` (once
 * per process; later calls get the first result whatever their options).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fixtures = (options: PythonOptions = {}): Promise<Fixtures> =>
  cached ??= (async () => {
    const python = start(options)
    const testing = await python.import("remotemedia.testing")
    return {
      python,
      module: testing,
      make: (name, kwargs = {}) => testing.callMethod(name, [], kwargs),
      get: async (object, attr) => (await object.get(attr)).toJs(),
      call: (object, method, ...args) => object.callMethodJs(method, args)
    }
  })()
