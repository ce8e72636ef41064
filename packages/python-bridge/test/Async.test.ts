// Awaitable results: awaited on the bridge's one event-loop thread, concurrently, while the Python thread serves
// other calls; values, handles and exceptions as for sync calls; worker threads and process lifetime.
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Worker } from "node:worker_threads"
import { assert, describe, it } from "vitest"
import { PyObject, PythonError } from "../src/index.js"
import { eventually, python } from "./helpers.js"

const SOURCE = `
import asyncio, sys, threading, types

_async_fixture = types.ModuleType("_async_fixture")
sys.modules["_async_fixture"] = _async_fixture
gauge = {"now": 0, "most": 0, "threads": set()}

async def hold(x, seconds):
    gauge["now"] += 1
    gauge["most"] = max(gauge["most"], gauge["now"])
    gauge["threads"].add(threading.current_thread().name)
    try:
        await asyncio.sleep(seconds)
    finally:
        gauge["now"] -= 1
    return x

async def fails():
    await asyncio.sleep(0)
    raise ValueError("no luck")

async def where(x):
    await asyncio.sleep(0.01)
    return {"value": x * 2, "thread": threading.current_thread().name}

_async_fixture.where = where

class Box:
    def __init__(self, v):
        self.v = v

async def boxed(v):
    return Box(v)
`

const ready = (async () => {
  const py = python()
  await py.exec(SOURCE)
  return py
})()
const fn = async (name: string) => (await ready).eval(name)
const gauge = async (key: "now" | "most") => (await (await ready).evalJs(`gauge["${key}"]`)) as number

describe("awaitable results", () => {
  it("resolve to the awaited value (converted or as a handle)", async () => {
    const hold = await fn("hold")
    assert.strictEqual(await hold.callJs([7, 0.01]), 7)
    const box = await (await fn("boxed")).call([5])
    assert.instanceOf(box, PyObject)
    assert.strictEqual(await box.getJs("v"), 5)
  })

  it("a coroutine's exception rejects with its PythonError and traceback", async () => {
    const error = await (await fn("fails")).callJs([]).then(() => assert.fail("should reject"), (e: unknown) => e)
    assert.instanceOf(error, PythonError)
    assert.strictEqual(error.pyType, "ValueError")
    assert.include(error.traceback, "raise ValueError")
  })

  it("100 coroutines are awaited at the same time, on the event-loop thread", async () => {
    const hold = await fn("hold")
    await (await ready).exec("gauge['most'] = 0; gauge['threads'].clear()")
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => hold.callJs([i, 0.05])))
    assert.deepStrictEqual(values, Array.from({ length: 100 }, (_, i) => i))
    assert.isAbove(await gauge("most"), 10)
    assert.deepStrictEqual(await (await ready).evalJs("sorted(gauge['threads'])"), ["remotemedia-asyncio"])
  })

  it("a sync call completes while 100 coroutines are pending", async () => {
    const hold = await fn("hold")
    const pending = Promise.all(Array.from({ length: 100 }, (_, i) => hold.callJs([i, 2])))
    await eventually(async () => (await gauge("now")) === 100)
    const t0 = performance.now()
    assert.strictEqual(await (await ready).evalJs("6 * 7"), 42)
    const ms = performance.now() - t0
    assert.strictEqual(await gauge("now"), 100, "still pending")
    assert.isBelow(ms, 500)
    assert.strictEqual((await pending).length, 100)
  })

  it("works from a worker thread, on the same event loop", async () => {
    await ready
    const worker = new Worker(new URL("./fixtures/async-worker.mjs", import.meta.url))
    const message = await new Promise((resolve, reject) => {
      worker.once("message", resolve)
      worker.once("error", reject)
    })
    await worker.terminate()
    assert.deepStrictEqual(message, { value: 42, thread: "remotemedia-asyncio" })
  })

  it("a pending coroutine keeps a plain script alive, which then exits on its own", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [new URL("./fixtures/pending-async-call.mjs", import.meta.url).pathname],
      { timeout: 20_000 }
    )
    assert.strictEqual(stdout.trim(), "settled")
  })
})
