// Stopping a run while Python is busy: an abort, a consumer leaving a stream and an aborted source
// return within one item's time (each item takes 0.2 s here), each node cleaned up once; and items
// that cannot cross (cyclic, too deep) fail as their own NodeProcessError with core's wording.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { executePipeline, executePipelineWithInput, NodeProcessError, RuntimeData, streamPipeline } from "@remotemedia/core"
import { type PyObject, start } from "@remotemedia/python-bridge"
import { create } from "../src/index.js"

const byDefault = { env: {}, cwd: mkdtempSync(join(tmpdir(), "remotemedia-inproc-abort-")) }
/** One item's time plus 50 ms. */
const BUDGET_MS = 250

const slowNodes = async () => start({ paths: [join(import.meta.dirname, "fixtures")] }).import("slow_nodes")
const make = async (cls: string, kwargs: Record<string, unknown>): Promise<PyObject> =>
  (await (await slowNodes()).get(cls)).call([], kwargs)
const counter = async (node: PyObject, name: string) => (await node.getJs(name)) as number
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Aborts `signal`'s controller after `ms`; resolves to the time of the abort. */
const abortAfter = (controller: AbortController, ms: number) =>
  new Promise<number>((resolve) =>
    setTimeout(() => {
      const at = performance.now()
      controller.abort(new Error("stop"))
      resolve(at)
    }, ms)
  )

describe("aborting while Python works", () => {
  for (const asynchronous of [false, true]) {
    it(`rejects within one item's time of the abort and cleans up once (${asynchronous ? "async" : "sync"} node)`, async () => {
      const node = await make("SlowEcho", { name: "slow", asynchronous })
      const controller = new AbortController()
      const run = executePipelineWithInput([node], Array.from({ length: 10 }, (_, i) => i), {
        ...byDefault,
        signal: controller.signal
      })
      const abortedAt = abortAfter(controller, 300)
      const error = await run.then(() => assert.fail("the run should reject"), (e: unknown) => e)
      const latency = performance.now() - (await abortedAt)
      assert.instanceOf(error, Error)
      assert.strictEqual(error.message, "stop")
      assert.isBelow(latency, BUDGET_MS, `rejected ${latency.toFixed(0)} ms after the abort`)
      assert.strictEqual(await counter(node, "cleanups"), 1)
      assert.isAtMost(await counter(node, "processed"), 3, "the batch stopped after the item in progress")
    })
  }

  it("leaves a stream within one item's time of the consumer's break, cleaning up once", async () => {
    const node = await make("SlowEcho", { name: "slow" })
    async function* input() {
      yield 0
      await sleep(50)
      for (let i = 1; i < 10; i++) yield i // one batch, in progress when the consumer breaks
    }
    let brokeAt = 0
    for await (const output of streamPipeline([node], input(), byDefault)) {
      assert.strictEqual(output, 0)
      await sleep(100)
      brokeAt = performance.now()
      break
    }
    const latency = performance.now() - brokeAt
    assert.isBelow(latency, BUDGET_MS, `left ${latency.toFixed(0)} ms after the break`)
    assert.strictEqual(await counter(node, "cleanups"), 1)
    assert.isAtMost(await counter(node, "processed"), 3)
  })

  it("stops a source filling a chunk within one item's time of the abort, closing it and cleaning up once", async () => {
    const node = await make("SlowSource", { name: "source" })
    // Chunks that wait for 64 items: without cancellation the abort would wait for a whole chunk.
    const transport = await create({ sourceChunkSize: 64, sourceMaxWaitMs: 60_000 })
    const controller = new AbortController()
    const run = executePipeline([node], { transport, signal: controller.signal })
    const abortedAt = abortAfter(controller, 300)
    const error = await run.then(() => assert.fail("the run should reject"), (e: unknown) => e)
    const latency = performance.now() - (await abortedAt)
    assert.instanceOf(error, Error)
    assert.isBelow(latency, BUDGET_MS, `rejected ${latency.toFixed(0)} ms after the abort`)
    assert.strictEqual(await counter(node, "cleanups"), 1)
    assert.strictEqual(await counter(node, "closed"), 1)
    assert.isAtMost(await counter(node, "produced"), 3)
  })
})

describe("items that cannot cross", () => {
  const echo = () => make("SlowEcho", { name: "echo", delay: 0 })

  it("a cyclic item fails as its own NodeProcessError, its cause core's InvalidRuntimeData", async () => {
    const cyclic: { [key: string]: RuntimeData.RuntimeData } = {}
    cyclic["next"] = [cyclic]
    const items: Array<RuntimeData.RuntimeData> = [1, 2, { wrapper: cyclic }, 4]
    const error = await executePipelineWithInput([await echo()], items, byDefault).then(
      () => assert.fail("the run should fail"),
      (e: unknown) => e
    )
    assert.instanceOf(error, NodeProcessError)
    assert.strictEqual(error.itemIndex, 2)
    assert.instanceOf(error.cause, RuntimeData.InvalidRuntimeData)
    assert.strictEqual(error.cause.reason, "cycle")
    assert.strictEqual(error.cause.message, RuntimeData.checkShape(items[2])?.message)
    assert.include(error.cause.message, "cyclic data: item.wrapper.next[0] refers back to item.wrapper")
  })

  it("an over-deep item fails the same way, its path shortened", async () => {
    let deep: RuntimeData.RuntimeData = "bottom"
    for (let i = 0; i < 5_000; i++) deep = [deep]
    const error = await executePipelineWithInput([await echo()], ["fine", deep], byDefault).then(
      () => assert.fail("the run should fail"),
      (e: unknown) => e
    )
    assert.instanceOf(error, NodeProcessError)
    assert.strictEqual(error.itemIndex, 1)
    assert.instanceOf(error.cause, RuntimeData.InvalidRuntimeData)
    assert.strictEqual(error.cause.reason, "depth")
    assert.isBelow(error.cause.message.length, 300)
  })
})
