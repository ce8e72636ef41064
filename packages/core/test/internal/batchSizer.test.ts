// batchSizer: batches start at one item, grow while calls fit the time budget, shrink at once when items slow down.
import { assert, describe, it } from "@effect/vitest"
import { BatchSizer } from "../../src/internal/batchSizer.js"

describe("BatchSizer", () => {
  it("grows by doubling while full batches fit the budget, up to the maximum", () => {
    const sizer = new BatchSizer(64, 10)
    const limits = [sizer.limit]
    for (let i = 0; i < 8; i++) {
      sizer.record(sizer.limit, sizer.limit * 0.01)
      limits.push(sizer.limit)
    }
    assert.deepStrictEqual(limits, [1, 2, 4, 8, 16, 32, 64, 64, 64])
  })

  it("shrinks to what fits as soon as items get slower, and never below one", () => {
    const sizer = new BatchSizer(64, 10)
    for (let i = 0; i < 6; i++) sizer.record(sizer.limit, 0)
    assert.strictEqual(sizer.limit, 64)
    sizer.record(64, 64 * 2.5) // 2.5 ms per item: 4 fit in 10 ms
    assert.strictEqual(sizer.limit, 4)
    sizer.record(4, 4 * 200)
    assert.strictEqual(sizer.limit, 1)
  })

  it("does not grow on batches that were not full", () => {
    const sizer = new BatchSizer(64, 10)
    sizer.record(1, 0.01)
    assert.strictEqual(sizer.limit, 2)
    sizer.record(1, 0.01)
    sizer.record(1, 0.01)
    assert.strictEqual(sizer.limit, 2)
  })

  it("without a budget, every batch may take the maximum", () => {
    const sizer = new BatchSizer(1024, Infinity)
    assert.strictEqual(sizer.limit, 1024)
    sizer.record(1024, 5_000)
    assert.strictEqual(sizer.limit, 1024)
  })
})
