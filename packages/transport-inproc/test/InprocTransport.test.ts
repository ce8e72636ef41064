// In-process specifics beyond the conformance suite: options and layers, default selection through
// the Promise API, abort/interruption, metrics, a large batch.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { PythonFixtures } from "@remotemedia/conformance"
import {
  executePipeline,
  executePipelineWithInput,
  Executor,
  NodeProcessError,
  streamPipeline,
  Transport,
  TransportUnavailable
} from "@remotemedia/core"
import { PythonError } from "@remotemedia/python-bridge"
import { Config, Effect, Layer } from "effect"
import { create, layer, layerConfig, make } from "../src/index.js"

const fixtures = () => PythonFixtures.fixtures()
/** Selection inputs that pick the default transport whatever the environment says. */
const byDefault = { env: {}, cwd: mkdtempSync(join(tmpdir(), "remotemedia-inproc-")) }

const waitFor = async (what: string, check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe("make / layer / layerConfig / create", () => {
  it.effect("invalid options fail with TransportUnavailable before Python is touched", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(make({ sourceChunkSize: 0 }))
      assert.instanceOf(error, TransportUnavailable)
      assert.include(error.message, "invalid options")
      assert.include(error.message, "sourceChunkSize")
    }))

  it.effect("the layer provides core's Transport named inproc", () =>
    Effect.gen(function*() {
      const transport = yield* Effect.service(Transport.Transport).pipe(Effect.provide(layer()))
      assert.strictEqual(transport.name, "inproc")
    }))

  it.effect("layerConfig reads options from Config; a config failure is TransportUnavailable", () =>
    Effect.gen(function*() {
      const ok = yield* Effect.service(Transport.Transport).pipe(
        Effect.provide(layerConfig(Config.succeed({ sourceChunkSize: 8 })))
      )
      assert.strictEqual(ok.name, "inproc")
      const error = yield* Effect.flip(
        Layer.build(layerConfig({ venv: Config.String("REMOTEMEDIA_TEST_UNSET_VARIABLE") })).pipe(Effect.scoped)
      )
      assert.instanceOf(error, TransportUnavailable)
      assert.include(error.message, "invalid configuration")
    }))

  it.effect("create() resolves to the service, which runs pipelines when provided", () =>
    Effect.gen(function*() {
      const transport = yield* Effect.promise(() => create())
      const fx = yield* Effect.promise(fixtures)
      const scale = yield* Effect.promise(() => fx.make("FixtureScale", { factor: 5 }))
      const out = yield* Executor.executePipelineWithInput([scale], [1, 2]).pipe(
        Effect.provideService(Transport.Transport, transport)
      )
      assert.deepStrictEqual(out, [5, 10])
    }))
})

describe("the Promise API with the default transport", () => {
  it("runs Python instances without any transport configuration", async () => {
    const fx = await fixtures()
    const counter = await fx.make("FixtureCounter", { name: "counter" })
    const out = await executePipelineWithInput([counter, { id: "pick", process: (o: { call: number }) => o.call }], [7, 8], byDefault)
    assert.deepStrictEqual(out, [1, 2])
    assert.strictEqual(await fx.get(counter, "calls"), 2)
  })

  it("rejects with the NodeProcessError whose cause is the bridge's PythonError", async () => {
    const fx = await fixtures()
    const fails = await fx.make("FixtureFailAt", { name: "fails", fail_at: 1 })
    const error = await executePipelineWithInput([fails], ["a", "b"], byDefault).then(
      () => assert.fail("the run should fail"),
      (e: unknown) => e
    )
    assert.instanceOf(error, NodeProcessError)
    const cause = error.cause
    assert.instanceOf(cause, PythonError)
    assert.strictEqual(cause.pyType, "ValueError")
    assert.include(cause.traceback, "fail_deep_inside")
  })

  it("aborting a run stops a slow async source and cleans it up once", async () => {
    const fx = await fixtures()
    const log = PythonFixtures.lifecycleLog()
    const src = await fx.make("FixtureAsyncRangeSource", { name: "src", count: 1_000_000, delay: 0.005, log_path: log.path })
    const controller = new AbortController()
    const seen: Array<unknown> = []
    const done = (async () => {
      for await (const v of streamPipeline([src], undefined, { ...byDefault, signal: controller.signal })) seen.push(v)
    })()
    await waitFor("the first items", () => seen.length >= 3)
    controller.abort(new Error("stop"))
    const reason = await done.then(() => undefined, (e: unknown) => e)
    assert.instanceOf(reason, Error)
    await waitFor("cleanup", () => log.count("src", "cleanup") === 1)
    assert.strictEqual(log.count("src", "initialize"), 1)
    assert.strictEqual(log.count("src", "closed"), 1)
  })

  it("metrics count the items of each Python node", async () => {
    const fx = await fixtures()
    const expand = await fx.make("FixtureExpand", { name: "expand" })
    const { outputs, metrics } = await executePipelineWithInput([expand], [1, 2, 3], { ...byDefault, metrics: true })
    assert.deepStrictEqual(outputs, [10, 20, 21, 30, 31, 32])
    const node = metrics.nodes.find((n) => n.nodeId === "expand_0")
    assert.deepInclude(node, { itemsIn: 3, itemsOut: 6, errors: 0 })
    assert.isAtLeast(node!.processTime.total, 0)
  })

  it("a source runs once through executePipeline", async () => {
    const fx = await fixtures()
    const src = await fx.make("FixtureRangeSource", { name: "src", count: 3 })
    assert.deepStrictEqual(await executePipeline([src], byDefault), [0, 1, 2])
  })

  it("100 000 items pass through a Python node, in order", async () => {
    const fx = await fixtures()
    const echo = await fx.make("FixtureEcho")
    const items = Array.from({ length: 100_000 }, (_, i) => i)
    const t0 = performance.now()
    const out = await executePipelineWithInput([echo], items, byDefault)
    const ms = performance.now() - t0
    assert.strictEqual(out.length, items.length)
    assert.isTrue(out.every((v, i) => v === i))
    console.log(`inproc: 100k items through FixtureEcho in ${ms.toFixed(0)} ms (${((ms * 1000) / items.length).toFixed(2)} µs/item)`)
  }, 120_000)
})
