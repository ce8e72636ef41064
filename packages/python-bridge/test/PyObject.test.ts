import { Tensor } from "@remotemedia/core"
import { assert, describe, it } from "vitest"
import { isPyObject, PyObject, PyObjectReleased } from "../src/index.js"
import { collectGarbage, eventually, python } from "./helpers.js"

describe("PyObject", () => {
  it("is core's OpaqueValue with a module.qualname type name", async () => {
    const counter = await python().eval("__import__('collections').Counter('abca')")
    assert.strictEqual(counter._tag, "OpaqueValue")
    assert.strictEqual(counter.typeName, "collections.Counter")
    assert.strictEqual(String(counter), "PyObject(collections.Counter)")
    assert.ok(isPyObject(counter))
    assert.notOk(isPyObject({ _tag: "OpaqueValue", typeName: "x" }))
  })

  it("gets attributes and calls methods, as handles or converted", async () => {
    const py = python()
    await py.exec(
      "class Greeter:\n    def __init__(self, name):\n        self.name = name\n    def greet(self, greeting='hello', *, punct='!'):\n        return f'{greeting} {self.name}{punct}'\n"
    )
    const cls = await py.eval("Greeter")
    const greeter = await cls.call(["Ada"])
    assert.strictEqual(greeter.typeName, "__main__.Greeter")
    assert.strictEqual(await greeter.getJs("name"), "Ada")
    const name = await greeter.get("name")
    assert.strictEqual(name.typeName, "builtins.str")
    assert.strictEqual(await greeter.callMethodJs("greet"), "hello Ada!")
    assert.strictEqual(await greeter.callMethodJs("greet", ["hi"], { punct: "?" }), "hi Ada?")
    const handle = await greeter.callMethod("greet", [], { greeting: "yo" })
    assert.strictEqual(await handle.toJs(), "yo Ada!")
  })

  it("passes the very object back to Python (identity), at any depth", async () => {
    const py = python()
    const obj = await py.eval("object()")
    const id = await py.evalJs("id(o)", { o: obj })
    assert.strictEqual(await py.evalJs("id(o)", { o: obj }), id)
    assert.strictEqual(await py.evalJs("o is xs[0] is d['k'][1]", { o: obj, xs: [obj], d: { k: [1, obj] } }), true)
    const identity = await py.eval("lambda x: x")
    const back = await identity.call([obj])
    assert.strictEqual(await py.evalJs("a is b", { a: obj, b: back }), true)
  })

  it("releases the object on release()", async () => {
    const py = python()
    await py.exec(
      "import weakref\nclass Probe: pass\nprobe_freed = []\ndef make_probe():\n    p = Probe()\n    weakref.finalize(p, probe_freed.append, 'freed')\n    return p\n"
    )
    const probe = await py.eval("make_probe()")
    assert.deepStrictEqual(await py.evalJs("probe_freed"), [])
    probe.release()
    probe.release() // idempotent
    assert.ok(probe.released)
    assert.deepStrictEqual(await py.evalJs("probe_freed"), ["freed"])
    await probe.toJs().then(
      () => assert.fail("expected PyObjectReleased"),
      (e) => {
        assert.instanceOf(e, PyObjectReleased)
        assert.include(e.message, "__main__.Probe")
      }
    )
    await py.evalJs("x", { x: probe }).then(
      () => assert.fail("expected PyObjectReleased"),
      (e) => assert.instanceOf(e, PyObjectReleased)
    )
  })

  it("releases the object when JS garbage-collects the handle", async () => {
    const py = python()
    await py.exec(
      "import weakref\nclass GcProbe: pass\ngc_probe_freed = []\ndef make_gc_probe():\n    p = GcProbe()\n    weakref.finalize(p, gc_probe_freed.append, 'freed')\n    return p\n"
    )
    await (async () => {
      const probe = await py.eval("make_gc_probe()")
      assert.strictEqual(probe.typeName, "__main__.GcProbe")
    })()
    await eventually(async () => {
      await collectGarbage()
      return ((await py.evalJs("len(gc_probe_freed)")) as number) === 1
    })
  })

  it("frees a numpy array once JS collects the tensor viewing it", async () => {
    const py = python()
    await py.exec(
      "import numpy as np, weakref\narray_freed = []\ndef make_array():\n    a = np.ones(1 << 16, dtype='float32')\n    weakref.finalize(a, array_freed.append, True)\n    return a\n"
    )
    let sum = 0
    await (async () => {
      const tensor = (await py.evalJs("make_array()")) as Tensor
      await collectGarbage()
      for (const x of tensor.data) sum += Number(x)
      assert.deepStrictEqual(await py.evalJs("array_freed"), [], "alive while the tensor is")
    })()
    assert.strictEqual(sum, 1 << 16)
    await eventually(async () => {
      await collectGarbage()
      return ((await py.evalJs("len(array_freed)")) as number) === 1
    })
  })

  it("takes handles and JS values mixed as arguments", async () => {
    const py = python()
    const np = await py.import("numpy")
    const a = await np.callMethod("array", [[1, 2, 3]], { dtype: "float64" })
    const b = new Tensor(Float64Array.from([10, 20, 30]), [3])
    const sum = await np.callMethodJs("add", [a, b])
    assert.instanceOf(sum, Tensor)
    assert.deepStrictEqual([...sum.data], [11, 22, 33])
    assert.instanceOf(a, PyObject)
  })
})
