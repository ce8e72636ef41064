// The Promise API and the lifecycle contract: initialize once / cleanup once on success, process error, abort and failing initialize.
import { assert, describe, it } from "@effect/vitest"
import {
  executePipeline,
  executePipelineWithInput,
  NodeCleanupError,
  NodeInitializeError,
  NodeProcessError,
  streamPipeline
} from "../src/index.js"
import type { RuntimeData } from "../src/RuntimeData.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A TS node that counts its lifecycle calls. */
const counted = (id: string, process: (x: never) => unknown = (x) => x, opts: { failInit?: boolean } = {}) => {
  const counts = { initialize: 0, process: 0, cleanup: 0 }
  return {
    counts,
    node: {
      id,
      initialize: async () => {
        counts.initialize++
        if (opts.failInit) throw new Error(`${id} cannot start`)
      },
      process: (x: never) => {
        counts.process++
        return process(x)
      },
      cleanup: async () => {
        counts.cleanup++
      }
    }
  }
}

const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error("expected the promise to reject")
}

describe("lifecycle", () => {
  it("initializes once and cleans up once on success", async () => {
    const a = counted("a")
    const b = counted("b", (x: number) => x + 1)
    const out = await executePipelineWithInput([a.node, b.node], [1, 2, 3, 4])
    assert.deepStrictEqual(out, [2, 3, 4, 5])
    assert.deepStrictEqual(a.counts, { initialize: 1, process: 4, cleanup: 1 })
    assert.deepStrictEqual(b.counts, { initialize: 1, process: 4, cleanup: 1 })
  })

  it("cleans up every node exactly once when process fails at item k, and rejects with the typed error", async () => {
    const a = counted("a")
    const b = counted("b", (x: number) => {
      if (x === 3) throw new TypeError("three is not allowed")
      return x
    })
    const c = counted("c")
    const error = await rejection(executePipelineWithInput([a.node, b.node, c.node], [0, 1, 2, 3, 4, 5]))
    assert.instanceOf(error, NodeProcessError)
    const e = error
    assert.strictEqual(e.nodeId, "b")
    assert.strictEqual(e.itemIndex, 3)
    assert.instanceOf(e.cause, TypeError)
    for (const n of [a, b, c]) {
      assert.strictEqual(n.counts.initialize, 1)
      assert.strictEqual(n.counts.cleanup, 1)
    }
    assert.strictEqual(c.counts.process, 3)
  })

  it("a failing initialize cleans up the nodes already initialized and never starts the rest", async () => {
    const a = counted("a")
    const b = counted("b", undefined, { failInit: true })
    const c = counted("c")
    const error = await rejection(executePipelineWithInput([a.node, b.node, c.node], [1]))
    assert.instanceOf(error, NodeInitializeError)
    assert.strictEqual((error).nodeId, "b")
    assert.include((error as Error).message, "b cannot start")
    assert.deepStrictEqual(a.counts, { initialize: 1, process: 0, cleanup: 1 })
    assert.deepStrictEqual(b.counts, { initialize: 1, process: 0, cleanup: 0 })
    assert.deepStrictEqual(c.counts, { initialize: 0, process: 0, cleanup: 0 })
  })

  it("aborting mid-stream cleans up once and rejects with the signal's reason", async () => {
    const controller = new AbortController()
    const a = counted("a", async (x: number) => {
      await sleep(1)
      if (x === 5) controller.abort(new Error("user cancelled"))
      return x
    })
    const b = counted("b")
    async function* endless() {
      for (let i = 0;; i++) yield i
    }
    const error = await rejection(
      executePipelineWithInput([a.node, b.node], endless() as unknown as Iterable<RuntimeData>, { signal: controller.signal })
    )
    assert.instanceOf(error, Error)
    assert.strictEqual((error).message, "user cancelled")
    assert.deepStrictEqual([a.counts.initialize, a.counts.cleanup, b.counts.initialize, b.counts.cleanup], [1, 1, 1, 1])
  })

  it("breaking out of streamPipeline cleans up every node once", async () => {
    const a = counted("a", (x: number) => x * 3)
    const seen: Array<RuntimeData> = []
    for await (const v of streamPipeline([a.node], (function*() {
      for (let i = 0;; i++) yield i
    })())) {
      seen.push(v)
      if (seen.length === 3) break
    }
    assert.deepStrictEqual(seen, [0, 3, 6])
    await sleep(5)
    assert.strictEqual(a.counts.initialize, 1)
    assert.strictEqual(a.counts.cleanup, 1)
  })

  it("a slow stage hands each output on as it is done, and a break stops it between items, cleaned up before the loop ends", async () => {
    const a = counted("a", async (x: number) => (await sleep(20), x))
    let processedAtFirst = -1
    for await (const v of streamPipeline([a.node], Array.from({ length: 10 }, (_, i) => i))) {
      assert.strictEqual(v, 0)
      processedAtFirst = a.counts.process
      break
    }
    assert.strictEqual(processedAtFirst, 1)
    assert.isAtMost(a.counts.process, 2)
    assert.deepStrictEqual([a.counts.initialize, a.counts.cleanup], [1, 1])
  })

  it("aborting a stream that starts with a source rejects with the signal's reason", async () => {
    const controller = new AbortController()
    const source = {
      id: "src",
      isSource: true,
      async *process() {
        for (let i = 0;; i++) {
          await sleep(1)
          yield i
        }
      }
    }
    const error = await rejection((async () => {
      for await (const v of streamPipeline([source], undefined, { signal: controller.signal })) {
        if (v === 2) controller.abort(new Error("enough"))
      }
    })())
    assert.strictEqual((error as Error).message, "enough")
  })

  it("aborting streamPipeline ends the iteration and cleans up", async () => {
    const controller = new AbortController()
    const a = counted("a", async (x: number) => (await sleep(1), x))
    const seen: Array<RuntimeData> = []
    const error = await rejection((async () => {
      for await (const v of streamPipeline([a.node], (async function*() {
        for (let i = 0;; i++) yield i
      })(), { signal: controller.signal })) {
        seen.push(v)
        if (seen.length === 2) controller.abort()
      }
    })())
    assert.isDefined(error)
    await sleep(5)
    assert.strictEqual(a.counts.cleanup, 1)
  })

  it("a cleanup failure after a successful run rejects with NodeCleanupError; a process failure wins over it", async () => {
    const bad = {
      id: "leaky",
      process: (x: number) => {
        if (x < 0) throw new Error("negative")
        return x
      },
      cleanup: () => {
        throw new Error("handle already closed")
      }
    }
    const onlyCleanup = await rejection(executePipelineWithInput([bad], [1]))
    assert.instanceOf(onlyCleanup, NodeCleanupError)
    assert.strictEqual((onlyCleanup).nodeId, "leaky")
    const both = await rejection(executePipelineWithInput([bad], [-1]))
    assert.instanceOf(both, NodeProcessError)
  })
})

describe("Promise API", () => {
  it("executePipeline runs once without input", async () => {
    assert.deepStrictEqual(await executePipeline([{ process: (x: string) => `[${x}]` }]), ["[]"])
  })

  it("returns metrics beside the outputs when asked", async () => {
    const { outputs, metrics } = await executePipelineWithInput([{ id: "inc", process: (x: number) => x + 1 }], [1, 2], {
      metrics: true
    })
    assert.deepStrictEqual(outputs, [2, 3])
    assert.deepStrictEqual(metrics.nodes.map((n) => [n.nodeId, n.itemsIn, n.itemsOut]), [["inc", 2, 2]])
  })

  it("streamPipeline yields outputs while the input is still arriving", async () => {
    let fed = 0
    const input = (async function*() {
      for (let i = 0; i < 5; i++) {
        fed++
        await sleep(2)
        yield i
      }
    })()
    const firstSeenWhenFed: Array<number> = []
    for await (const _ of streamPipeline([{ process: (x: number) => x }], input, { maxBatch: 1 })) {
      firstSeenWhenFed.push(fed)
    }
    assert.strictEqual(firstSeenWhenFed.length, 5)
    assert.isBelow(firstSeenWhenFed[0]!, 5)
  })

  it("an error thrown by the caller's input iterable rejects with that error", async () => {
    const failure = new Error("camera disconnected")
    const error = await rejection((async () => {
      for await (const _ of streamPipeline([{ process: (x: number) => x }], (async function*() {
        yield 1
        throw failure
      })())) {
        // drain
      }
    })())
    assert.strictEqual(error, failure)
  })
})
