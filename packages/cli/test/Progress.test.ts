// The progress line's text: counts, rate and elapsed time.
import { assert, describe, it } from "@effect/vitest"
import { progressLine } from "../src/Progress.js"

describe("progressLine", () => {
  it("shows items in and out, the output rate and the elapsed time", () => {
    assert.strictEqual(progressLine(250, 200, 4_000), "250 in, 200 out, 50 items/s, 4.0 s")
    assert.strictEqual(progressLine(3, 3, 1_500), "3 in, 3 out, 2.0 items/s, 1.5 s")
    assert.strictEqual(progressLine(0, 0, 0), "0 in, 0 out, 0.0 items/s, 0.0 s")
  })
})
