// Transport helpers every transport builds its stages with: batch results with partial outputs, paged sources, chunk defaults.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { NodeProcessError, Transport } from "../src/index.js"

const failure = (itemIndex: number) => new NodeProcessError({ nodeId: "n", itemIndex, cause: new Error("boom") })

describe("Transport.batchResult", () => {
  it.effect("succeeds with the outputs, fails plainly, or keeps the outputs before a failure", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Transport.batchResult([1, 2], undefined), [1, 2])
      const plain = yield* Effect.flip(Transport.batchResult([], failure(0)))
      assert.instanceOf(plain, NodeProcessError)
      const partial = yield* Effect.flip(Transport.batchResult([1], failure(1)))
      assert.instanceOf(partial, Transport.PartialBatch)
      assert.deepStrictEqual((partial).outputs, [1])
      assert.strictEqual((partial).error.itemIndex, 1)
    }))
})

describe("Transport.pagedSource", () => {
  it.effect("pulls pages until one is done, telling each pull how many items came before", () =>
    Effect.gen(function*() {
      const asked: Array<number> = []
      const pages = [[1, 2], [], [3]]
      const items = yield* Stream.runCollect(Transport.pagedSource((produced) =>
        Effect.sync(() => {
          asked.push(produced)
          const page = pages[asked.length - 1]!
          return { items: page, done: asked.length === pages.length }
        })
      ))
      assert.deepStrictEqual(items, [1, 2, 3])
      assert.deepStrictEqual(asked, [0, 2, 2])
    }))

  it.effect("emits a failing page's items before failing, and pulls no more", () =>
    Effect.gen(function*() {
      let pulls = 0
      const seen: Array<unknown> = []
      const exit = yield* Stream.runForEach(
        Transport.pagedSource(() => Effect.sync(() => ({ items: [pulls++], done: false, error: pulls === 2 ? failure(1) : undefined }))),
        (item) => Effect.sync(() => seen.push(item))
      ).pipe(Effect.exit)
      assert.deepStrictEqual(seen, [0, 1])
      assert.strictEqual(pulls, 2)
      assert.isTrue(Exit.isFailure(exit))
    }))
})

describe("Transport.sourceChunk", () => {
  it("fills in the shared defaults", () => {
    assert.deepStrictEqual(Transport.sourceChunk({}), Transport.SourceChunkDefaults)
    assert.deepStrictEqual(Transport.sourceChunk({ sourceChunkSize: 8 }), { maxItems: 8, maxWaitMs: 5 })
  })
})
