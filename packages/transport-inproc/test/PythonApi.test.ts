// Python nodes of a TypeScript pipeline running pipelines of their own (remotemedia.execute_pipeline*): the inner
// run goes to this process's executor and back, awaited or waited for, on the same interpreter, without deadlock.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { executePipelineWithInput } from "@remotemedia/core"
import { type PyObject, start } from "@remotemedia/python-bridge"
import "../src/index.js"

// Two Python threads, so the inner node's thread and the outer node's thread may coincide.
const nested = async () => start({ paths: [join(import.meta.dirname, "fixtures")], threads: 2 }).import("nested_nodes")
const make = async (cls: string, kwargs: Record<string, unknown> = {}): Promise<PyObject> =>
  (await (await nested()).get(cls)).call([], kwargs)
const opts = { transport: "inproc" }

describe("Python nodes calling execute_pipeline", () => {
  it("an async node awaits an inner pipeline; the inner node is the caller's own object", async () => {
    const inner = await make("Double", { name: "inner" })
    const outer = await make("AsyncOuter", { inner, name: "outer" })
    const outputs = await executePipelineWithInput([outer], [1, 10], opts)
    assert.deepStrictEqual(outputs, [[2, 4], [20, 22]])
    assert.strictEqual(await inner.getJs("calls"), 4, "the inner object itself processed every item")
  })

  it("a sync node blocked in asyncio.run on a bridge thread: inner nodes on that very thread still run", async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
      const inner = await make("Double", { name: `inner${i}` })
      const outer = await make("SyncOuter", { inner, name: `outer${i}` })
      return { inner, outputs: await executePipelineWithInput([outer], [i, i + 1, i + 2], opts) }
    }))
    runs.forEach(({ outputs }, i) => assert.deepStrictEqual(outputs, [2 * i + 1, 2 * i + 3, 2 * i + 5]))
    for (const { inner } of runs) assert.strictEqual(await inner.getJs("calls"), 3)
  })

  it("100 concurrent outer runs, each awaiting an inner run", async () => {
    const outers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => make("AsyncOuter", { inner: await make("Double", { name: `i${i}` }), name: `o${i}` }))
    )
    const outputs = await Promise.all(outers.map((outer, i) => executePipelineWithInput([outer], [i], opts)))
    assert.deepStrictEqual(outputs, outers.map((_, i) => [[2 * i, 2 * i + 2]]))
  })

  it("an inner node's exception reaches the awaiting Python code as itself", async () => {
    const outer = await make("FailingOuter", { name: "failing" })
    assert.deepStrictEqual(await executePipelineWithInput([outer], [7], opts), [
      { type: "LookupError", message: "inner failed on 7" }
    ])
  })
})
