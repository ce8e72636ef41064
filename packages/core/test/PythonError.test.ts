// PythonError: one shape for a Python exception from any transport; prints its traceback and survives encoding.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { inspect } from "node:util"
import { PythonError } from "../src/index.js"

const traceback = [
  "Traceback (most recent call last):",
  "  File \"nodes.py\", line 12, in process",
  "    return self.model(x)",
  "ValueError: bad input shape (3,)"
].join("\n")
const error = new PythonError({ pyType: "ValueError", pyModule: "builtins", pyMessage: "bad input shape (3,)", traceback })

describe("PythonError", () => {
  it("reads as `Type: message` and shows the Python traceback when printed", () => {
    assert.strictEqual(error.message, "ValueError: bad input shape (3,)")
    assert.instanceOf(error, Error)
    assert.include(error.stack ?? "", "in process")
    assert.include(inspect(error), "return self.model(x)")
  })

  it.effect("encodes to plain data and decodes to an equal PythonError (it can cross processes)", () =>
    Effect.gen(function*() {
      const encoded = yield* Schema.encodeEffect(PythonError)(error)
      const json = JSON.parse(JSON.stringify(encoded)) as unknown
      const decoded = yield* Schema.decodeUnknownEffect(PythonError)(json)
      assert.instanceOf(decoded, PythonError)
      assert.deepStrictEqual(
        [decoded.pyType, decoded.pyModule, decoded.pyMessage, decoded.traceback],
        ["ValueError", "builtins", "bad input shape (3,)", traceback]
      )
      assert.strictEqual(decoded._tag, "PythonError")
    }))
})

describe("PythonError.fromRecord", () => {
  it("keeps every field of the record and defaults the module to builtins", () => {
    const e = PythonError.fromRecord({ type: "ValueError", message: "bad", traceback: "Traceback ...\nValueError: bad\n", index: 3 })
    assert.strictEqual(e.pyType, "ValueError")
    assert.strictEqual(e.pyModule, "builtins")
    assert.strictEqual(e.message, "ValueError: bad")
    assert.include(e.stack, "Traceback ...")
    assert.strictEqual(PythonError.fromRecord({ type: "E", module: "m", message: "", traceback: "" }).pyModule, "m")
  })
})
