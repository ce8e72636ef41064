// Concurrent pipelines of async nodes overlap on the bridge's one event loop (process, initialize, cleanup, sources),
// a sync node's call is served while many async ones are pending, and sync nodes that release the GIL run in
// parallel on the bridge's Python threads, each node's calls on one thread. Python's gauges count calls in flight.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { executePipeline, executePipelineWithInput } from "@remotemedia/core"
import { type PyObject, start } from "@remotemedia/python-bridge"
import "../src/index.js"

const byDefault = { env: {}, cwd: mkdtempSync(join(tmpdir(), "remotemedia-inproc-concurrency-")) }

/** Four Python threads for sync calls, whatever the CPU count (this file's process starts the interpreter). */
const THREADS = 4
const asyncNodes = async () => start({ paths: [join(import.meta.dirname, "fixtures")], threads: THREADS }).import("async_nodes")
const make = async (cls: string, kwargs: Record<string, unknown>): Promise<PyObject> =>
  (await (await asyncNodes()).get(cls)).call([], kwargs)
const many = (n: number, cls: string, kwargs: Record<string, unknown>) =>
  Promise.all(Array.from({ length: n }, (_, i) => make(cls, { ...kwargs, name: `${cls}${i}` })))
const reset = async () => (await asyncNodes()).callMethod("reset")
const maxInFlight = async () => (await (await asyncNodes()).callMethodJs("max_in_flight")) as Record<string, number>
const threads = async () => (await (await asyncNodes()).callMethodJs("threads")) as Record<string, Array<string>>
const inFlight = async () => (await start().evalJs("__import__('async_nodes').gauges['process'].in_flight")) as number
const eventually = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe("async nodes of concurrent pipelines", () => {
  // First: no other node holds a thread yet, so these nodes get one each.
  it("sync nodes of concurrent pipelines run on several Python threads, each node's calls on one", async () => {
    const nodes = await many(THREADS, "SyncNap", { delay: 0.1 }) // starts the interpreter
    assert.strictEqual(start().info.threads, THREADS)
    await reset()
    const outputs = await Promise.all(nodes.map((node, i) => executePipelineWithInput([node], [i, i + 1, i + 2], byDefault)))
    assert.deepStrictEqual(outputs, nodes.map((_, i) => [i, i + 1, i + 2]), "each run's outputs, in order")
    const most = (await start().evalJs("__import__('async_nodes').sync_gauge.max_in_flight")) as number
    assert.isAbove(most, 1, "sync calls of different nodes ran at the same time")
    for (const node of nodes) {
      assert.strictEqual(await node.callMethodJs("thread_count"), 1, "initialize, process and cleanup on one thread")
    }
  })

  it("100 pipelines, each with its own async node, await their items at the same time", async () => {
    const nodes = await many(100, "AsyncSleep", { delay: 0.05 })
    await executePipelineWithInput([nodes[0]!], [0], byDefault) // warm-up
    await reset()
    const t0 = performance.now()
    const outputs = await Promise.all(nodes.map((node, i) => executePipelineWithInput([node], [i, i + 1], byDefault)))
    const ms = performance.now() - t0
    assert.deepStrictEqual(outputs, nodes.map((_, i) => [i, i + 1]), "each run's outputs, in order")
    const { process } = await maxInFlight()
    assert.isAbove(process!, 10, "coroutines of different pipelines were in flight together")
    assert.deepStrictEqual((await threads()).process, ["remotemedia-asyncio"], "awaited on the bridge's event-loop thread")
    console.log(`inproc: 100 concurrent pipelines x 2 items of a 50 ms async node in ${ms.toFixed(0)} ms (max in flight ${process})`)
  })

  it("async initialize and cleanup of concurrent pipelines overlap; each node is cleaned up once", async () => {
    const nodes = await many(20, "AsyncLifecycle", { delay: 0.05 })
    await reset()
    const outputs = await Promise.all(nodes.map((node, i) => executePipelineWithInput([node], [i], byDefault)))
    assert.deepStrictEqual(outputs, nodes.map((_, i) => [i]))
    const most = await maxInFlight()
    assert.isAbove(most.initialize!, 1)
    assert.isAbove(most.cleanup!, 1)
    for (const node of nodes) assert.strictEqual(await node.getJs("cleanups"), 1)
  })

  it("async generator sources of concurrent pipelines produce at the same time", async () => {
    const sources = await many(20, "AsyncTicks", { count: 3, delay: 0.05 })
    await reset()
    const outputs = await Promise.all(sources.map((source) => executePipeline([source], byDefault)))
    assert.deepStrictEqual(outputs, sources.map(() => [0, 1, 2]))
    assert.isAbove((await maxInFlight()).source!, 1)
  })

  it("a sync node's run completes while 100 async runs are still pending", async () => {
    const slow = await many(100, "AsyncSleep", { delay: 2 })
    const sync = await make("SyncNap", { delay: 0, name: "sync" })
    await reset()
    const pending = Promise.all(slow.map((node, i) => executePipelineWithInput([node], [i], byDefault)))
    await eventually(async () => (await inFlight()) === 100)
    const t0 = performance.now()
    assert.deepStrictEqual(await executePipelineWithInput([sync], ["now"], byDefault), ["now"])
    const ms = performance.now() - t0
    assert.strictEqual(await inFlight(), 100, "the async runs were still pending when the sync run finished")
    assert.isBelow(ms, 1_000, `the sync run took ${ms.toFixed(0)} ms`)
    assert.strictEqual((await pending).length, 100)
  })

  it("an aborted async batch stops between items and its node's cleanup waits for the item in progress", async () => {
    const node = await make("Exclusive", { delay: 0.1, name: "exclusive" })
    const controller = new AbortController()
    const run = executePipelineWithInput([node], Array.from({ length: 10 }, (_, i) => i), {
      ...byDefault,
      signal: controller.signal
    })
    setTimeout(() => controller.abort(new Error("stop")), 150)
    const error = await run.then(() => assert.fail("the run should reject"), (e: unknown) => e)
    assert.instanceOf(error, Error)
    assert.strictEqual(error.message, "stop")
    assert.strictEqual(await node.getJs("overlaps"), 0, "no call of the node ran while its coroutine was in flight")
    assert.strictEqual(await node.getJs("cleanups"), 1)
    assert.isAtMost(await node.getJs("processed") as number, 3, "the batch stopped after the item in progress")
  })

})
