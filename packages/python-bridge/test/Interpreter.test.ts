import { Audio, RuntimeData, Tensor, VideoFrame } from "@remotemedia/core"
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Worker } from "node:worker_threads"
import { assert, describe, it } from "vitest"
import { native } from "../src/internal/native.js"
import { PyObject, PythonConversionError, PythonStartError, start } from "../src/index.js"
import { python } from "./helpers.js"

const venv = realpathSync(resolve(import.meta.dirname, "../../../python/.venv"))

/** `depth` arrays (or `wrap`s) around 1. */
const nest = (depth: number, wrap: (inner: unknown) => unknown = (v) => [v]): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = wrap(value)
  return value
}

describe("start", () => {
  it("starts the interpreter with the project venv, once", () => {
    const py = python()
    assert.strictEqual(py.info.venv, venv)
    assert.strictEqual(py.info.prefix, venv)
    assert.strictEqual(py.info.executable, join(venv, "bin", "python"))
    assert.match(py.info.libpython, /\.pyenv\/versions\/3\.11\.\d+\/lib\/libpython3\.11\.so/)
    assert.match(py.info.version, /^3\.11\./)
    assert.strictEqual(start(), py, "idempotent")
    assert.strictEqual(start({ venv }), py, "the same venv again is fine")
  })

  it("adds extra paths to sys.path on later calls", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rm-bridge-"))
    writeFileSync(join(dir, "bridge_fixture_mod.py"), "VALUE = 'from extra path'\n")
    const py = start({ paths: [dir] })
    const mod = await py.import("bridge_fixture_mod")
    assert.strictEqual(await mod.getJs("VALUE"), "from extra path")
  })

  it("names what it tried when the venv is unusable", () => {
    const missing = join(tmpdir(), "no-such-venv")
    try {
      start({ venv: missing })
      assert.fail("expected PythonStartError")
    } catch (e) {
      assert.instanceOf(e, PythonStartError)
      assert.deepStrictEqual(e.tried, [`${missing} (option venv)`])
      assert.include(e.message, "no pyvenv.cfg")
    }
  })

  it("refuses to switch a running interpreter to another venv", () => {
    python()
    const other = mkdtempSync(join(tmpdir(), "rm-venv-"))
    writeFileSync(join(other, "pyvenv.cfg"), "version = 3.11.7\n")
    try {
      start({ venv: other })
      assert.fail("expected PythonStartError")
    } catch (e) {
      assert.instanceOf(e, PythonStartError)
      assert.include(e.message, "cannot switch to venv")
    }
  })
})

describe("Python", () => {
  it("imports stdlib and C extension modules into this very process", async () => {
    const py = python()
    const math = await py.import("math")
    assert.strictEqual(math.typeName, "builtins.module")
    assert.strictEqual(await math.callMethodJs("sqrt", [16]), 4)
    const np = await py.import("numpy")
    const file = await np.getJs("__file__")
    assert.isString(file)
    assert.include(file, "/python/.venv/")
    assert.strictEqual(await py.evalJs("__import__('os').getpid()"), process.pid)
    const linalg = await py.import("numpy.linalg")
    assert.strictEqual(await linalg.getJs("__name__"), "numpy.linalg")
  })

  it("evaluates expressions with locals, in __main__ where exec defines names", async () => {
    const py = python()
    await py.exec("def scale(xs, k):\n    return [x * k for x in xs]\n")
    assert.deepStrictEqual(await py.evalJs("scale(xs, 3)", { xs: [1, 2] }), [3, 6])
    assert.deepStrictEqual(await py.evalJs("[x * k for x in xs]", { xs: [1, 2], k: 10 }), [10, 20], "comprehensions see locals")
    const result = await py.eval("{'n': n + 1}", { n: 41 })
    assert.instanceOf(result, PyObject)
    assert.strictEqual(result.typeName, "builtins.dict")
    assert.deepStrictEqual(await result.toJs(), { n: 42 })
  })

  it("executes in a given globals dict", async () => {
    const py = python()
    const scope = await py.eval("{'base': 10}")
    await py.exec("total = base + 5", scope)
    assert.deepStrictEqual(await py.evalJs("[g['base'], g['total']]", { g: scope }), [10, 15])
    assert.strictEqual(await py.evalJs("'total' in globals()"), false, "__main__ untouched")
  })

  it("calls with positional and keyword arguments", async () => {
    const py = python()
    const builtins = await py.import("builtins")
    const sorted = await builtins.get("sorted")
    const out = await py.call(sorted, [[3, 1, 2]], { reverse: true })
    assert.deepStrictEqual(await out.toJs(), [3, 2, 1])
    await py.exec("def describe(a, b=2, *rest, c, **extra):\n    return [a, b, list(rest), c, extra]\n")
    const describe = await py.eval("describe")
    assert.deepStrictEqual(await describe.callJs([1, "two", 3, 4], { c: null, d: { e: true } }), [
      1,
      "two",
      [3, 4],
      null,
      { d: { e: true } }
    ])
  })

  it("keeps the event loop running while Python works", async () => {
    const py = python()
    let ticks = 0
    const timer = setInterval(() => ticks++, 50)
    try {
      await py.evalJs("__import__('time').sleep(1)")
    } finally {
      clearInterval(timer)
    }
    assert.isAtLeast(ticks, 10, `setInterval ticked ${ticks} times during a 1 s Python sleep`)
  })

  it("lets Python threads run while the bridge is idle", async () => {
    const py = python()
    await py.exec(
      "import threading, time\nbg_count = 0\ndef _bg():\n    global bg_count\n    for _ in range(20):\n        bg_count += 1\n        time.sleep(0.01)\nbg_thread = threading.Thread(target=_bg)\nbg_thread.start()\n"
    )
    await new Promise((resolve) => setTimeout(resolve, 500)) // no bridge call: the GIL is free
    assert.strictEqual(await py.evalJs("bg_count"), 20)
  })

  it("resolves many concurrent calls, each with its own result", async () => {
    const py = python()
    const pow = await py.eval("pow")
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pow.callJs([i, 2])))
    assert.deepStrictEqual(
      results,
      Array.from({ length: 200 }, (_, i) => i * i)
    )
  })

  it("shares the interpreter with worker threads", async () => {
    const py = python()
    await py.exec("shared_from_main = 41")
    const mainThread = await py.evalJs("__import__('threading').get_ident()")
    const worker = new Worker(new URL("./fixtures/worker.mjs", import.meta.url))
    const message = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once("message", resolve)
      worker.once("error", reject)
    })
    await worker.terminate()
    assert.deepStrictEqual(message, {
      fromMain: 42,
      pythonThread: mainThread,
      pid: process.pid,
      summed: 12,
      first: 1.5,
      shape: [2, 2],
      dtype: "float32"
    })
    assert.strictEqual(await py.evalJs("shared_from_main"), 41, "still usable after the worker exits")
  })
})

describe("process lifetime", () => {
  const run = (fixture: string) =>
    promisify(execFile)(process.execPath, [new URL(`./fixtures/${fixture}`, import.meta.url).pathname], {
      timeout: 20_000
    })

  it("keeps the process alive while a call is pending", async () => {
    const { stdout } = await run("pending-call.mjs")
    assert.strictEqual(stdout.trim(), "settled")
  })

  it("lets the process exit when nothing is pending, handles held or not", async () => {
    const { stdout } = await run("idle.mjs")
    assert.strictEqual(stdout.trim(), "2")
  })

  it("survives a worker terminated mid-call while holding handles", async () => {
    const py = python()
    const worker = new Worker(new URL("./fixtures/terminated-worker.mjs", import.meta.url))
    await new Promise((resolve, reject) => {
      worker.once("message", resolve)
      worker.once("error", reject)
    })
    await new Promise((resolve) => setTimeout(resolve, 100)) // the worker's call is now running
    await worker.terminate()
    await new Promise((resolve) => setTimeout(resolve, 600)) // its result arrives after teardown
    assert.strictEqual(await py.evalJs("6 * 7"), 42)
  })
})

describe("conversion", () => {
  const roundTrip = async (value: unknown): Promise<unknown> => {
    const handle = await python().fromJs(value)
    try {
      return await handle.toJs()
    } finally {
      handle.release()
    }
  }
  /** `type(x).__name__` and `repr(x)` as Python sees a JS value. */
  const seen = (value: unknown): Promise<unknown> => python().evalJs("[type(x).__name__, repr(x)]", { x: value })

  it("maps scalars", async () => {
    assert.deepStrictEqual(await seen(null), ["NoneType", "None"])
    assert.deepStrictEqual(await seen(undefined), ["NoneType", "None"])
    assert.deepStrictEqual(await seen(true), ["bool", "True"])
    assert.deepStrictEqual(await seen(7), ["int", "7"])
    assert.deepStrictEqual(await seen(-0), ["float", "-0.0"])
    assert.deepStrictEqual(await seen(1.5), ["float", "1.5"])
    assert.deepStrictEqual(await seen(2 ** 53), ["float", "9007199254740992.0"])
    assert.deepStrictEqual(await seen(Number.MAX_SAFE_INTEGER), ["int", "9007199254740991"])
    assert.deepStrictEqual(await seen(2n ** 64n), ["int", "18446744073709551616"])
    assert.deepStrictEqual(await seen(new Uint8Array([0, 255])), ["bytes", "b'\\x00\\xff'"])
    for (const v of [null, true, false, 0, -1, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53]) {
      assert.ok(Object.is(await roundTrip(v), v), `round trip of ${String(v)}`)
    }
    assert.ok(Number.isNaN(await roundTrip(Number.NaN)))
    assert.strictEqual(await roundTrip(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY)
    assert.strictEqual(await roundTrip(undefined), null)
  })

  it("keeps integers exact around 2^53 and 2^64 (bigint beyond safe range)", async () => {
    const cases: Array<[bigint, unknown]> = [
      [2n ** 53n - 1n, Number.MAX_SAFE_INTEGER],
      [-(2n ** 53n) + 1n, -Number.MAX_SAFE_INTEGER],
      [2n ** 53n, 2n ** 53n],
      [2n ** 53n + 1n, 2n ** 53n + 1n],
      [-(2n ** 53n), -(2n ** 53n)],
      [2n ** 63n - 1n, 2n ** 63n - 1n],
      [-(2n ** 63n), -(2n ** 63n)],
      [2n ** 64n - 1n, 2n ** 64n - 1n],
      [2n ** 64n, 2n ** 64n],
      [-(2n ** 64n) - 1n, -(2n ** 64n) - 1n],
      [3n ** 200n, 3n ** 200n]
    ]
    for (const [input, expected] of cases) {
      assert.strictEqual(await roundTrip(input), expected, `round trip of ${input}`)
    }
    assert.strictEqual(await python().evalJs("2**64 + 1"), 2n ** 64n + 1n)
    assert.strictEqual(await python().evalJs("x == 2**70", { x: 2n ** 70n }), true)
  })

  it("round-trips unicode exactly, astral plane and unpaired surrogates included", async () => {
    const strings = ["", "héllo wörld", "中文字符", "👩‍👩‍👧‍👦 family", "𝄞 clef", "\u{10FFFF}", "a\u0000b", "lone \uD800 high", "lone \uDFFF low", "\uFFFD replacement"]
    for (const s of strings) {
      assert.strictEqual(await roundTrip(s), s)
    }
    assert.deepStrictEqual(await python().evalJs("[len(s), s == '\\U0001D11E']", { s: "𝄞" }), [1, true])
    assert.strictEqual(await python().evalJs("'\\ud83d'"), "\uD83D")
  })

  it("round-trips bytes 0..255", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const back = await roundTrip(bytes)
    assert.instanceOf(back, Uint8Array)
    assert.deepStrictEqual([...(back as Uint8Array)], [...bytes])
    assert.strictEqual(await python().evalJs("b == bytes(range(256))", { b: bytes }), true)
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251)
    assert.deepStrictEqual(await roundTrip(big), big)
    assert.deepStrictEqual(await python().evalJs("[bytearray(b'ab'), memoryview(b'cd')]"), [
      new Uint8Array([97, 98]),
      new Uint8Array([99, 100])
    ])
  })

  it("keeps nested JSON shapes: lists stay lists, a dict with a type key stays a dict", async () => {
    const doc = {
      type: "audio",
      list: [1, [2, [3, []]], { type: "nested", items: [] }],
      empty: {},
      text: "x",
      nothing: null,
      "key with spaces": true,
      __proto__x: 1
    }
    assert.deepStrictEqual(await roundTrip(doc), doc)
    assert.deepStrictEqual(
      await python().evalJs("[type(d).__name__, type(d['list']).__name__, type(d['list'][2]).__name__, d['type']]", { d: doc }),
      ["dict", "list", "dict", "audio"]
    )
    assert.deepStrictEqual(await python().evalJs("(1, (2, 3))"), [1, [2, 3]], "tuples come back as arrays")
    const proto = await python().evalJs("{'__proto__': 1}")
    assert.deepStrictEqual(Object.keys(proto as object), ["__proto__"])
    assert.strictEqual(Object.getPrototypeOf(proto), Object.prototype)
  })

  it("turns tensors into ndarrays of the same dtype and shape, and back", async () => {
    const tensors = [
      new Tensor(Float32Array.from([1.5, -2, 3.25, 4, 5, 6]), [2, 3]),
      new Tensor(Float64Array.from([Math.PI, -1e-300, 1e300, 0]), [2, 2]),
      new Tensor(Int16Array.from([-32768, -1, 0, 1, 2, 32767]), [3, 2]),
      new Tensor(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]), [2]),
      new Tensor(Uint8Array.from([0, 128, 255]), [3, 1]),
      new Tensor(new Float32Array(0), [0, 4])
    ]
    for (const tensor of tensors) {
      const seenBy = await python().evalJs("[type(t).__name__, t.dtype.name, list(t.shape)]", { t: tensor })
      assert.deepStrictEqual(seenBy, ["ndarray", tensor.dtype, [...tensor.shape]])
      const back = await roundTrip(tensor)
      assert.instanceOf(back, Tensor)
      assert.strictEqual(back.dtype, tensor.dtype)
      assert.deepStrictEqual(back.shape, tensor.shape)
      assert.deepStrictEqual([...back.data], [...tensor.data])
    }
    assert.deepStrictEqual(
      await python().evalJs("[a.dtype.name, a.shape]", { a: Int32Array.from([1, 2]) }),
      ["int32", [2]],
      "other typed arrays are 1-D arrays"
    )
  })

  it("converts ndarrays made in Python, copying only strided or read-only ones", async () => {
    const py = python()
    const t = (await py.evalJs("__import__('numpy').arange(6, dtype='uint16').reshape(2, 3).T")) as Tensor
    assert.instanceOf(t, Tensor)
    assert.deepStrictEqual([t.dtype, t.shape, [...t.data]], ["uint16", [3, 2], [0, 3, 1, 4, 2, 5]])
    const ro = (await py.evalJs("(lambda a: (a.setflags(write=False), a)[1])(__import__('numpy').ones(3))")) as Tensor
    assert.deepStrictEqual([...ro.data], [1, 1, 1])
    const odd = await py.evalJs("__import__('numpy').zeros(2, dtype='complex64')")
    assert.instanceOf(odd, PyObject, "dtypes without a core name stay Python objects")
    assert.strictEqual(odd.typeName, "numpy.ndarray")
    assert.deepStrictEqual(await py.evalJs("[__import__('numpy').float32(0.5), __import__('numpy').int64(-3)]"), [0.5, -3])
  })

  it("turns Audio into remotemedia.Audio and back", async () => {
    const samples = Float32Array.from([0.5, -0.5, 0.25, -0.25, 0, 1])
    const audio = new Audio(samples, 48000, 2)
    assert.deepStrictEqual(
      await python().evalJs("[type(a).__module__, type(a).__name__, a.sample_rate, a.channels, a.frames, a.samples.dtype.name]", { a: audio }),
      ["remotemedia.data", "Audio", 48000, 2, 3, "float32"]
    )
    const back = await roundTrip(audio)
    assert.instanceOf(back, Audio)
    assert.strictEqual(back.sampleRate, 48000)
    assert.strictEqual(back.channels, 2)
    assert.deepStrictEqual([...back.samples], [...samples])
    const made = (await python().evalJs(
      "__import__('remotemedia').Audio(samples=__import__('numpy').zeros(4, dtype='float64'), sample_rate=8000)"
    )) as Audio
    assert.instanceOf(made, Audio)
    assert.strictEqual(made.samples.length, 4)
  })

  it("builds remotemedia.Audio as its constructor would, and still rejects what it rejects", async () => {
    const py = python()
    const audio = new Audio(Float32Array.from([0.5, -0.5, 0.25, -0.25]), 16000, 2)
    assert.deepStrictEqual(
      await py.evalJs(
        "[list(vars(a)), type(a.sample_rate).__name__, type(a.channels).__name__, a.samples.flags.c_contiguous, " +
          "a.samples.flags.writeable, a.duration]",
        { a: audio }
      ),
      [["samples", "sample_rate", "channels"], "int", "int", true, true, 2 / 16000]
    )
    // Samples that do not split into whole frames (bypassing core's own check) fail as Audio(...) fails.
    const odd = Object.assign(Object.create(Audio.prototype) as Audio, {
      samples: Float32Array.from([1, 2, 3]),
      sampleRate: 16000,
      channels: 2
    })
    await py.fromJs(odd).then(
      () => assert.fail("expected a failure"),
      (e: Error) => assert.include(e.message, "not a multiple of its 2 channels")
    )
  })

  it("recognises subclasses of core's classes (not only direct instances)", async () => {
    class Marked extends Tensor {}
    const t = new Marked(new Float32Array([1, 2, 3, 4]), [2, 2])
    assert.deepStrictEqual(await python().evalJs("[type(t).__name__, list(t.shape), float(t.sum())]", { t }), [
      "ndarray",
      [2, 2],
      10
    ])
  })

  it("turns a VideoFrame into remotemedia.VideoFrame and back", async () => {
    const frame = new VideoFrame(Uint8Array.from({ length: 12 }, (_, i) => i), 2, 2, "rgb24")
    const back = await roundTrip(frame)
    assert.instanceOf(back, VideoFrame)
    assert.deepStrictEqual(
      [back.width, back.height, back.format, [...back.data]],
      [2, 2, "rgb24", [...frame.data]]
    )
    assert.strictEqual(
      await python().evalJs("type(f).__module__ + '.' + type(f).__name__", { f: frame }),
      "remotemedia.data.VideoFrame"
    )
  })

  it("keeps Python-only objects as handles", async () => {
    const py = python()
    const values = (await py.evalJs("[object(), {1, 2}, {1: 'a'}, __import__('datetime').date(2024, 1, 2)]")) as Array<PyObject>
    assert.deepStrictEqual(
      values.map((v) => v.typeName),
      ["builtins.object", "builtins.set", "builtins.dict", "datetime.date"]
    )
    assert.strictEqual(values[0]!._tag, "OpaqueValue")
    assert.deepStrictEqual(await py.evalJs("[type(v).__name__ for v in vs]", { vs: values }), ["object", "set", "dict", "date"])
  })

  it("rejects JS values without a Python counterpart, naming where they are", async () => {
    const py = python()
    for (const [value, path, what] of [
      [{ a: [1, () => 1] }, "value.a[1]", "function"],
      [{ m: new Map() }, "value.m", "Map"],
      [[Symbol("s")], "value[0]", "symbol"]
    ] as const) {
      try {
        await py.fromJs(value)
        assert.fail("expected PythonConversionError")
      } catch (e) {
        assert.instanceOf(e, PythonConversionError)
        assert.include(e.message, `cannot convert ${path}`)
        assert.include(e.message, what)
      }
    }
    const cyclic: Array<unknown> = []
    cyclic.push(cyclic)
    await py.fromJs(cyclic).then(
      () => assert.fail("expected PythonConversionError"),
      (e) => {
        assert.instanceOf(e, PythonConversionError)
        assert.strictEqual(e.reason, "cycle")
        assert.strictEqual(e.message, "cannot convert value[0]: cyclic data, it refers back to value (a cycle cannot be converted)")
      }
    )
  })

  it("names the cycle in cyclic data, once, wherever the depth limit is reached", async () => {
    const item: { x: Array<unknown> } = { x: [0] }
    item.x.push(item)
    const deepFirst: Array<unknown> = [nest(990)]
    deepFirst.push(deepFirst)
    const identity = await python().eval("lambda *args: args")
    for (const [args, message] of [
      [[1, [item]], "cannot convert args[1][0].x[1]: cyclic data, it refers back to args[1][0] (a cycle cannot be converted)"],
      [[deepFirst], "cannot convert args[0][1]: cyclic data, it refers back to args[0] (a cycle cannot be converted)"]
    ] as const) {
      const error = await identity.callJs(args).then(() => assert.fail("expected PythonConversionError"), (e: unknown) => e)
      assert.instanceOf(error, PythonConversionError)
      assert.strictEqual(error.reason, "cycle")
      assert.strictEqual(error.message, message)
    }
  })

  it("shortens the path of over-deep data and converts 1000 levels below each argument", async () => {
    const identity = await python().eval("lambda x: x")
    const error = await identity.callJs([nest(5_000)]).then(() => assert.fail("expected PythonConversionError"), (e: unknown) => e)
    assert.instanceOf(error, PythonConversionError)
    assert.strictEqual(error.reason, "depth")
    assert.strictEqual(error.message, "cannot convert args[0][0][0]…(995 more levels)…[0][0][0][0]: nested deeper than 1000 levels")
    const objects = await identity.callJs([nest(5_000, (v) => ({ "a long key, quoted in the path": v }))]).catch((e: unknown) => e)
    assert.instanceOf(objects, PythonConversionError)
    assert.isBelow(objects.message.length, 300, objects.message)
    assert.deepStrictEqual(await identity.callJs([nest(1_001)]), nest(1_001))
  })

  it("rejects the call when its result cannot be built in JS (the promise never stays pending)", async () => {
    const py = python()
    const error = await py
      .evalJs("(lambda f: (setattr(f, 'data', b'x'), f)[1])(__import__('remotemedia').VideoFrame(b'abc', 1, 1))")
      .then(() => assert.fail("expected a rejection"), (e: unknown) => e)
    assert.instanceOf(error, RuntimeData.InvalidMediaValue)
    assert.include((error as Error).message, "needs 3 bytes, got 1")
    assert.strictEqual(await py.evalJs("6 * 7"), 42)
  })
})

describe("zero copy", () => {
  it("lends JS tensor memory to numpy: same address, writes visible both ways", async () => {
    const py = python()
    const data = Float32Array.from([1, 2, 3, 4, 5, 6])
    const array = await py.fromJs(new Tensor(data, [2, 3]))
    assert.strictEqual(await py.evalJs("a.__array_interface__['data'][0]", { a: array }), native.bufferAddress(data))
    data[4] = 42 // JS writes, Python reads
    assert.strictEqual(await py.evalJs("float(a[1, 1])", { a: array }), 42)
    await py.exec("a[0, 0] = -7", await py.eval("{'a': a}", { a: array })) // Python writes, JS reads
    assert.strictEqual(data[0], -7)
    array.release()
  })

  it("lends numpy memory to the JS tensor: same address, writes visible both ways", async () => {
    const py = python()
    await py.exec("import numpy as np\nshared = np.arange(8, dtype='float32').reshape(2, 4)")
    const tensor = (await py.evalJs("shared")) as Tensor
    assert.strictEqual(native.bufferAddress(tensor.data), await py.evalJs("shared.__array_interface__['data'][0]"))
    await py.exec("shared[1, 3] = 99")
    assert.strictEqual(tensor.data[7], 99, "Python's write is visible in JS")
    tensor.data[0] = -1
    assert.strictEqual(await py.evalJs("float(shared[0, 0])"), -1, "JS's write is visible in Python")
    await py.exec("del shared")
  })

  it("hands lent memory back as the very same ArrayBuffer", async () => {
    const py = python()
    const data = Float32Array.from({ length: 12 }, (_, i) => i)
    const identity = await py.eval("lambda x: x")
    const back = (await identity.callJs([new Tensor(data, [3, 4])])) as Tensor
    assert.strictEqual(back.data.buffer, data.buffer, "no new ArrayBuffer for an identity round trip")
    assert.deepStrictEqual(back.shape, [3, 4])
    const row = (await py.evalJs("t[1]", { t: new Tensor(data, [3, 4]) })) as Tensor
    assert.strictEqual(row.data.buffer, data.buffer)
    assert.strictEqual(row.data.byteOffset, 16, "a view maps to its offset in the original buffer")
    assert.deepStrictEqual([...row.data], [4, 5, 6, 7])
    const sub = new Float32Array(data.buffer, 8, 4) // a view with its own offset
    const subBack = (await identity.callJs([new Tensor(sub, [4])])) as Tensor
    assert.strictEqual(subBack.data.byteOffset, 8)
    assert.deepStrictEqual([...subBack.data], [2, 3, 4, 5])
  })

  it("keeps lent JS memory alive while Python holds it", async () => {
    const { collectGarbage } = await import("./helpers.js")
    const py = python()
    await (async () => {
      const kept = await py.fromJs(new Tensor(new Float64Array(1000).fill(2.5), [1000]))
      await py.exec("import builtins; builtins.kept = a", await py.eval("{'a': a}", { a: kept }))
      kept.release()
    })()
    await collectGarbage()
    new Float64Array(1 << 20).fill(9) // churn the heap
    await collectGarbage()
    assert.strictEqual(await py.evalJs("float(__import__('builtins').kept.sum())"), 2500)
    await py.exec("import builtins; del builtins.kept")
  })
})
