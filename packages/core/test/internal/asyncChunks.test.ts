// asyncChunks: whole chunks from values already available, a live source's values one by one as they come, the
// iterator ended (its finally run) when the reader stops, errors passed on.
import { assert, describe, it } from "@effect/vitest"
import { asyncChunks } from "../../src/internal/asyncChunks.js"

const collect = async <A>(chunks: AsyncIterable<Array<A>>): Promise<Array<Array<A>>> => {
  const out: Array<Array<A>> = []
  for await (const chunk of chunks) out.push(chunk)
  return out
}

describe("asyncChunks", () => {
  it("fills whole chunks from values in memory, in order, the last one partial", async () => {
    const source = async function*() {
      for (let i = 0; i < 10; i++) yield i
    }
    const chunks = await collect(asyncChunks(source(), 4))
    assert.deepStrictEqual(chunks, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
  })

  it("hands over a live source's values as they come, never waiting to fill a chunk", async () => {
    const source = async function*() {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 30))
        yield i
      }
    }
    const seen: Array<{ chunk: Array<number>; at: number }> = []
    const t0 = Date.now()
    for await (const chunk of asyncChunks(source(), 64)) seen.push({ chunk, at: Date.now() - t0 })
    assert.deepStrictEqual(seen.map((s) => s.chunk), [[0], [1], [2]])
    assert.isBelow(seen[0]!.at, 1000, "the first value came before the source ended")
  })

  it("ends the iterator (its finally runs) when the reader stops early", async () => {
    let finished = false
    const source = async function*() {
      try {
        for (let i = 0; ; i++) yield i
      } finally {
        finished = true
      }
    }
    for await (const chunk of asyncChunks(source(), 8)) {
      assert.deepStrictEqual(chunk, [0, 1, 2, 3, 4, 5, 6, 7])
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.isTrue(finished)
  })

  it("passes on the source's error after the values before it", async () => {
    const source = async function*() {
      yield 1
      yield 2
      throw new Error("source broke")
    }
    const seen: Array<number> = []
    const error = await (async () => {
      try {
        for await (const chunk of asyncChunks(source(), 8)) seen.push(...chunk)
      } catch (e) {
        return e as Error
      }
      return undefined
    })()
    assert.deepStrictEqual(seen, [1, 2])
    assert.strictEqual(error?.message, "source broke")
  })
})
