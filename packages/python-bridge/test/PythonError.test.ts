import { inspect } from "node:util"
import { assert, describe, it } from "vitest"
import { PythonError } from "../src/index.js"
import { python } from "./helpers.js"

const rejection = async (promise: Promise<unknown>): Promise<PythonError> => {
  try {
    await promise
  } catch (e) {
    assert.instanceOf(e, PythonError)
    return e
  }
  return assert.fail("expected a PythonError")
}

describe("PythonError", () => {
  it("carries type, message and the full traceback of a nested raise", async () => {
    const py = python()
    await py.exec(
      "def outer_function(x):\n    return inner_function(x)\n\ndef inner_function(x):\n    raise ValueError(f'bad value: {x}')\n"
    )
    const error = await rejection(py.eval("outer_function(42)"))
    assert.instanceOf(error, Error)
    assert.strictEqual(error._tag, "PythonError")
    assert.strictEqual(error.pyType, "ValueError")
    assert.strictEqual(error.pyModule, "builtins")
    assert.strictEqual(error.pyMessage, "bad value: 42")
    assert.strictEqual(error.message, "ValueError: bad value: 42")
    assert.match(error.traceback, /^Traceback \(most recent call last\):/)
    assert.include(error.traceback, "in outer_function")
    assert.include(error.traceback, "in inner_function")
    assert.include(error.traceback, "raise ValueError(f'bad value: {x}')", "source lines of JS-provided code")
    assert.match(error.traceback, /ValueError: bad value: 42\n$/)
    assert.notInclude(error.traceback, "remotemedia-bridge", "no bridge frames")
  })

  it("shows the traceback when printed", async () => {
    const error = await rejection(python().exec("def boom():\n    1 / 0\nboom()"))
    assert.strictEqual(error.pyType, "ZeroDivisionError")
    assert.include(error.stack, "in boom")
    assert.include(error.stack, "PythonError: ZeroDivisionError: division by zero")
    assert.include(inspect(error), "in boom")
  })

  it("reports custom exception classes, chained causes and syntax errors", async () => {
    const py = python()
    await py.exec(
      "class PipelineFailure(Exception):\n    pass\ndef fail():\n    try:\n        {}['missing']\n    except KeyError as e:\n        raise PipelineFailure('wrapped') from e\n"
    )
    const chained = await rejection(py.evalJs("fail()"))
    assert.strictEqual(chained.pyType, "PipelineFailure")
    assert.strictEqual(chained.pyModule, "__main__")
    assert.include(chained.traceback, "KeyError: 'missing'")
    assert.include(chained.traceback, "The above exception was the direct cause of the following exception")
    const syntax = await rejection(py.eval("1 +"))
    assert.strictEqual(syntax.pyType, "SyntaxError")
  })

  it("comes from method calls and attribute lookups too", async () => {
    const py = python()
    const list = await py.eval("[1, 2]")
    const missing = await rejection(list.get("nope"))
    assert.strictEqual(missing.pyType, "AttributeError")
    const bad = await rejection(list.callMethod("index", [3]))
    assert.strictEqual(bad.pyType, "ValueError")
    const exit = await rejection(py.exec("raise SystemExit(3)"))
    assert.strictEqual(exit.pyType, "SystemExit", "sys.exit() does not end the Node process")
  })
})
