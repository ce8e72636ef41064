// Python calling JS functions the runtime serves: awaited or waited for, results and failures, Python objects
// crossing back as themselves, and no deadlock when the served function calls back into Python meanwhile.
import { afterEach, assert, describe, it } from "vitest"
import { JsCalls, PyObject, PythonError } from "../src/index.js"
import { python } from "./helpers.js"

const SOURCE = `
import asyncio, threading, _remotemedia_js
from remotemedia.errors import JsError

class Counter:
    def __init__(self):
        self.n = 0
    def bump(self):
        self.n += 1
        return self.n

def call_sync(method, args):
    return _remotemedia_js.call(method, args)

async def call_async(method, args):
    future = asyncio.get_running_loop().create_future()
    _remotemedia_js.call_async(method, args, future)
    return await future

def failure_of(method, args):
    try:
        _remotemedia_js.call(method, args)
    except BaseException as e:
        return [type(e).__name__, str(e), getattr(e, "details", None), getattr(e, "name", None)]
    return None

def from_own_thread(method, args):
    out = []
    t = threading.Thread(target=lambda: out.append(asyncio.run(call_async(method, args))))
    t.start()
    t.join(20)
    return out
`

const fixture = (async () => {
  const py = python()
  const ns = await py.eval("{}")
  await py.exec(SOURCE, ns)
  const get = (name: string) => ns.callMethod("__getitem__", [name])
  return { py, get }
})()

let stop: (() => void) | undefined
afterEach(() => stop?.())

describe("JsCalls", () => {
  it("a sync Python caller gets the result while the served function calls back into Python on the same thread", async () => {
    const { get } = await fixture
    const counter = await (await get("Counter")).call()
    stop = JsCalls.serve({
      // Runs Python again (the counter's method, on the main Python thread, which is the one waiting).
      bump: async (target) => (target as PyObject).callMethodJs("bump").then((n) => ({ bumped: n }))
    })
    const callSync = await get("call_sync")
    const result = await callSync.callJs(["bump", counter])
    assert.deepStrictEqual(result, { bumped: 1 })
    assert.strictEqual(await counter.getJs("n"), 1)
  })

  it("an async Python caller awaits on the bridge's loop, many at once, with Python objects crossing as themselves", async () => {
    const { get } = await fixture
    const counter = await (await get("Counter")).call()
    stop = JsCalls.serve({
      same: (target) => target,
      bump: async (target) => (target as PyObject).callMethodJs("bump")
    })
    const callAsync = await get("call_async")
    const same = await callAsync.call(["same", counter])
    assert.isTrue(await (await fixture).py.evalJs("a is b", { a: same, b: counter }))
    const results = await Promise.all(Array.from({ length: 20 }, () => callAsync.callJs(["bump", counter])))
    assert.deepStrictEqual([...(results as Array<number>)].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it("a loop on a thread of its own (a script's asyncio.run) awaits JS", async () => {
    const { get } = await fixture
    stop = JsCalls.serve({ twice: (x) => (x as number) * 2 })
    assert.deepStrictEqual(await (await get("from_own_thread")).callJs(["twice", 21]), [42])
  })

  it("a failure raises JsError with the error's name, message and fields; an unknown name lists the served ones", async () => {
    const { get } = await fixture
    class RunFailed extends Error {
      readonly _tag = "RunFailed"
      readonly nodeId = "n1"
    }
    stop = JsCalls.serve({ fail: () => Promise.reject(new RunFailed("node n1 broke")) })
    const failureOf = await get("failure_of")
    assert.deepStrictEqual(await failureOf.callJs(["fail", null]), [
      "JsError",
      "RunFailed: node n1 broke",
      { nodeId: "n1", _tag: "RunFailed", causes: ["RunFailed"] },
      "RunFailed"
    ])
    const unknown = (await failureOf.callJs(["nope", null])) as Array<unknown>
    assert.strictEqual(unknown[0], "JsError")
    assert.include(unknown[1] as string, "no JavaScript function 'nope' is served to Python; served: ")
    assert.include(unknown[1] as string, "fail")
  })

  it("a Python exception the failure carries is re-raised as that very exception", async () => {
    const { py, get } = await fixture
    const raised = await py.eval("ValueError('bad sample rate')")
    stop = JsCalls.serve({
      fail: () => {
        const error = new PythonError({ pyType: "ValueError", pyModule: "builtins", pyMessage: "bad sample rate", traceback: "" })
        Object.defineProperty(error, "exception", { value: raised })
        throw new Error("node failed", { cause: error })
      }
    })
    const failure = (await (await get("failure_of")).callJs(["fail", null])) as Array<unknown>
    assert.deepStrictEqual(failure.slice(0, 2), ["ValueError", "bad sample rate"])
  })

  it("the executor is served from start(); other names fail at once, naming what is served", async () => {
    const { get } = await fixture
    const failure = (await (await get("failure_of")).callJs(["anything", null])) as Array<unknown>
    assert.strictEqual(failure[0], "JsError")
    assert.include(failure[1] as string, "no JavaScript function 'anything' is served to Python; served: remotemedia.execute, remotemedia.cancel")
  })
})
