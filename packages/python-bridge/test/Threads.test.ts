// The Python threads serving sync calls: how many, calls made on an object's behalf ordered on one thread for it,
// different objects' GIL-releasing calls in parallel, every other call on the main Python thread.
import { assert, describe, it } from "vitest"
import { RuntimeHost, start } from "../src/index.js"

const SOURCE = `
import threading, time, types

_threads_fixture = types.ModuleType("_threads_fixture")
_gauge = {"now": 0, "most": 0}
_lock = threading.Lock()

class Recorder:
    def __init__(self):
        self.seen = []
        self.threads = set()

def record(obj, i, nap=0.0):
    obj.threads.add(threading.get_ident())
    with _lock:
        _gauge["now"] += 1
        _gauge["most"] = max(_gauge["most"], _gauge["now"])
    time.sleep(nap)
    with _lock:
        _gauge["now"] -= 1
    obj.seen.append(i)
    return threading.get_ident()

def main_ident():
    return threading.get_ident() == threading.main_thread().ident

_threads_fixture.record = record
_threads_fixture.main_ident = main_ident
_threads_fixture.Recorder = Recorder
_threads_fixture.gauge = _gauge
`

// This file's process starts the interpreter here, with three threads whatever the CPU count.
const py = start({ threads: 3 })
const fixture = (async () => {
  await py.exec(SOURCE)
  return py.eval("_threads_fixture")
})()
const recorder = async () => (await fixture).callMethod("Recorder")

describe("Python threads for sync calls", () => {
  it("start takes the count when it boots the interpreter", () => {
    assert.strictEqual(py.info.threads, 3)
    assert.strictEqual(start({ threads: 5 }).info.threads, 3, "later calls join the running interpreter")
  })

  it("calls made on an object's behalf run in order, all on one thread", async () => {
    const host = await fixture
    const obj = await recorder()
    const idents = await Promise.all(Array.from({ length: 30 }, (_, i) => RuntimeHost.callJs<number>(host, "record", [obj, i], obj)))
    assert.deepStrictEqual(await obj.getJs("seen"), Array.from({ length: 30 }, (_, i) => i))
    assert.strictEqual(new Set(idents).size, 1)
  })

  it("different objects' calls that release the GIL run in parallel", async () => {
    const host = await fixture
    const objects = await Promise.all([recorder(), recorder(), recorder()])
    await py.exec("_threads_fixture.gauge['most'] = 0")
    const idents = await Promise.all(objects.map((obj, i) => RuntimeHost.callJs<number>(host, "record", [obj, i, 0.2], obj)))
    assert.isAbove((await py.evalJs("_threads_fixture.gauge['most']")) as number, 1)
    assert.isAbove(new Set(idents).size, 1)
  })

  it("every other call runs on the main Python thread", async () => {
    const host = await fixture
    assert.isTrue(await host.callMethodJs("main_ident"))
    assert.isTrue(await RuntimeHost.callJs<boolean>(host, "main_ident", []))
  })
})
