// Transport selection precedence (option > env > config file > default), loading of uninstalled transport packages, one build per process.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Executor, NodeRef, TransportSelection, TransportUnavailable } from "../src/index.js"

const created: Array<string> = []
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory, optionally holding a remotemedia.config.json with the given text. */
const tempDir = (configText?: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "remotemedia-core-test-"))
  created.push(dir)
  if (configText !== undefined) writeFileSync(join(dir, "remotemedia.config.json"), configText)
  return dir
}
const configDir = (config: unknown): string => tempDir(JSON.stringify(config))

const selectError = (input: TransportSelection.SelectionInput) => Effect.flip(TransportSelection.select(input))

describe("TransportSelection.select precedence", () => {
  it.effect("defaults to inproc when nothing chooses", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({ env: {}, cwd: tempDir() })
      assert.strictEqual(sel.name, "inproc")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-inproc")
      assert.strictEqual(sel.source, "default")
      assert.isUndefined(sel.options)
    }))

  it.effect("the config file in cwd beats the default", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({ env: {}, cwd: configDir({ transport: "ipc" }) })
      assert.strictEqual(sel.name, "ipc")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-ipc")
      assert.strictEqual(sel.source, "config")
    }))

  it.effect("env REMOTEMEDIA_TRANSPORT beats the config file", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({
        env: { REMOTEMEDIA_TRANSPORT: "iceoryx" },
        cwd: configDir({ transport: "ipc" })
      })
      assert.strictEqual(sel.name, "iceoryx")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-iceoryx")
      assert.strictEqual(sel.source, "env")
    }))

  it.effect("the call option beats env and config", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({
        transport: "inproc",
        env: { REMOTEMEDIA_TRANSPORT: "iceoryx" },
        cwd: configDir({ transport: "ipc" })
      })
      assert.strictEqual(sel.name, "inproc")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-inproc")
      assert.strictEqual(sel.source, "option")
    }))

  it.effect("an empty REMOTEMEDIA_TRANSPORT is ignored", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({
        env: { REMOTEMEDIA_TRANSPORT: "" },
        cwd: configDir({ transport: "ipc" })
      })
      assert.strictEqual(sel.name, "ipc")
      assert.strictEqual(sel.source, "config")
    }))

  it.effect("a config file without 'transport' falls through to the default", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({ env: {}, cwd: configDir({ transportOptions: { a: 1 } }) })
      assert.strictEqual(sel.name, "inproc")
      assert.strictEqual(sel.source, "default")
      assert.deepStrictEqual(sel.options, { a: 1 })
    }))

  it.effect("the config file's transportOptions are passed through", () =>
    Effect.gen(function*() {
      const transportOptions = { python: "/opt/venv/bin/python", maxBufferedItems: 8, nested: { a: [1, 2] } }
      const sel = yield* TransportSelection.select({ env: {}, cwd: configDir({ transport: "ipc", transportOptions }) })
      assert.strictEqual(sel.source, "config")
      assert.deepStrictEqual(sel.options, transportOptions)
    }))

  it.effect("an explicit configFile is read instead of cwd's", () =>
    Effect.gen(function*() {
      const other = configDir({ transport: "iceoryx", transportOptions: { from: "explicit" } })
      const sel = yield* TransportSelection.select({
        env: {},
        cwd: configDir({ transport: "ipc" }),
        configFile: join(other, "remotemedia.config.json")
      })
      assert.strictEqual(sel.name, "iceoryx")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-iceoryx")
      assert.strictEqual(sel.source, "config")
      assert.deepStrictEqual(sel.options, { from: "explicit" })
    }))

  it.effect("REMOTEMEDIA_CONFIG points at the config file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = join(dir, "custom-name.json")
      writeFileSync(file, JSON.stringify({ transport: "ipc", transportOptions: { workers: 2 } }))
      const sel = yield* TransportSelection.select({ env: { REMOTEMEDIA_CONFIG: file }, cwd: tempDir() })
      assert.strictEqual(sel.name, "ipc")
      assert.strictEqual(sel.packageName, "@remotemedia/transport-ipc")
      assert.strictEqual(sel.source, "config")
      assert.deepStrictEqual(sel.options, { workers: 2 })
    }))

  it.effect("a package specifier is accepted as the package name", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({ transport: "@acme/transport-x", env: {}, cwd: tempDir() })
      assert.strictEqual(sel.name, "@acme/transport-x")
      assert.strictEqual(sel.packageName, "@acme/transport-x")
      assert.strictEqual(sel.source, "option")
    }))

  it.effect("a package specifier from env is accepted too", () =>
    Effect.gen(function*() {
      const sel = yield* TransportSelection.select({ env: { REMOTEMEDIA_TRANSPORT: "@acme/transport-x" }, cwd: tempDir() })
      assert.strictEqual(sel.packageName, "@acme/transport-x")
      assert.strictEqual(sel.source, "env")
    }))
})

describe("TransportSelection.select errors", () => {
  it.effect("a missing explicitly named config file fails naming the file", () =>
    Effect.gen(function*() {
      const file = join(tempDir(), "does-not-exist.json")
      const err = yield* selectError({ env: {}, configFile: file })
      assert.instanceOf(err, TransportUnavailable)
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.detail, file)
      assert.include(err.message, file)
    }))

  it.effect("a missing file named by REMOTEMEDIA_CONFIG fails naming the file", () =>
    Effect.gen(function*() {
      const file = join(tempDir(), "nope.json")
      const err = yield* selectError({ env: { REMOTEMEDIA_CONFIG: file }, cwd: tempDir() })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.message, file)
    }))

  it.effect("an invalid JSON config fails naming the file", () =>
    Effect.gen(function*() {
      const dir = tempDir("{ \"transport\": \"ipc\", ")
      const err = yield* selectError({ env: {}, cwd: dir })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.message, join(dir, "remotemedia.config.json"))
      assert.include(err.message, "not valid JSON")
    }))

  it.effect("a config that is not a JSON object fails naming the file", () =>
    Effect.gen(function*() {
      const dir = tempDir("[\"ipc\"]")
      const err = yield* selectError({ env: {}, cwd: dir })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.message, join(dir, "remotemedia.config.json"))
    }))

  it.effect("a non-string 'transport' in the config fails naming the file", () =>
    Effect.gen(function*() {
      const dir = configDir({ transport: 42 })
      const err = yield* selectError({ env: {}, cwd: dir })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.message, join(dir, "remotemedia.config.json"))
      assert.include(err.message, "'transport' must be a string")
    }))

  it.effect("an unknown transport name fails naming the known ones", () =>
    Effect.gen(function*() {
      const err = yield* selectError({ transport: "carrier-pigeon", env: {}, cwd: tempDir() })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.strictEqual(err.transport, "carrier-pigeon")
      assert.include(err.message, "'carrier-pigeon'")
      for (const known of ["inproc", "ipc", "iceoryx", "ray"]) assert.include(err.message, known)
    }))

  it.effect("an unknown name from the config file fails too", () =>
    Effect.gen(function*() {
      const err = yield* selectError({ env: {}, cwd: configDir({ transport: "smoke-signals" }) })
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.include(err.message, "'smoke-signals'")
      assert.include(err.message, "config")
    }))
})

describe("TransportSelection.select with empty variables", () => {
  it.effect("an empty REMOTEMEDIA_CONFIG or REMOTEMEDIA_TRANSPORT counts as unset", () =>
    Effect.gen(function*() {
      const selection = yield* TransportSelection.select({ env: { REMOTEMEDIA_CONFIG: "", REMOTEMEDIA_TRANSPORT: "" }, cwd: tempDir() })
      assert.deepInclude(selection, { name: "inproc", source: "default" })
    }))
})

describe("TransportSelection.load", () => {
  it.effect("a selected transport whose package is not installed fails naming the transport, with the npm install hint", () =>
    Effect.gen(function*() {
      const selection = yield* TransportSelection.select({ transport: "iceoryx", env: {}, cwd: tempDir() })
      assert.strictEqual(selection.packageName, "@remotemedia/transport-iceoryx")
      // As a machine without that package sees it (every known transport is installed in this workspace).
      const missing = { ...selection, packageName: "@remotemedia/transport-iceoryx-not-installed" }
      const err = yield* Effect.flip(TransportSelection.load(missing))
      assert.instanceOf(err, TransportUnavailable)
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.strictEqual(err.transport, "iceoryx")
      assert.strictEqual(err.packageName, "@remotemedia/transport-iceoryx-not-installed")
      assert.include(err.detail, "not installed (selected by option)")
      assert.include(err.message, "npm install @remotemedia/transport-iceoryx-not-installed")
    }))

  it.effect("a made-up package fails naming that package", () =>
    Effect.gen(function*() {
      const selection = yield* TransportSelection.select({
        transport: "@remotemedia/transport-does-not-exist",
        env: {},
        cwd: tempDir()
      })
      const err = yield* Effect.flip(TransportSelection.load(selection))
      assert.strictEqual(err._tag, "TransportUnavailable")
      assert.strictEqual(err.packageName, "@remotemedia/transport-does-not-exist")
      assert.include(err.detail, "not installed")
      assert.include(err.message, "npm install @remotemedia/transport-does-not-exist")
    }))
})

describe("TransportSelection.acquire", () => {
  const fixture = fileURLToPath(new URL("./fixtures/counting-transport.mjs", import.meta.url))
  const builds = () => (globalThis as { countingTransportBuilds?: number }).countingTransportBuilds ?? 0

  it.effect("builds a selected transport once per process: later runs selecting it share it", () =>
    Effect.gen(function*() {
      const before = builds()
      const node = NodeRef.manifestNode("m", "PassThroughNode")
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([node], ["a"], { transport: fixture }), ["a!"])
      assert.deepStrictEqual(yield* Executor.executePipelineWithInput([node], ["b"], { transport: fixture }), ["b!"])
      const selection = yield* TransportSelection.select({ transport: fixture })
      const [one, two] = yield* Effect.all([TransportSelection.acquire(selection), TransportSelection.acquire(selection)])
      assert.strictEqual(one, two)
      assert.strictEqual(builds() - before, 1)
    }))

  it.effect("a build that failed is not kept: the next run tries again", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "acquire-"))
      created.push(dir)
      const config = join(dir, "remotemedia.config.json")
      writeFileSync(config, JSON.stringify({ transport: fixture, transportOptions: { fail: true } }))
      const before = builds()
      const selection = yield* TransportSelection.select({ configFile: config })
      const first = yield* Effect.exit(TransportSelection.acquire(selection))
      const second = yield* Effect.exit(TransportSelection.acquire(selection))
      assert.isTrue(Exit.isFailure(first) && Exit.isFailure(second))
      assert.strictEqual(builds() - before, 2)
    }))
})
