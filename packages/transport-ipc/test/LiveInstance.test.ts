// LiveInstance: Python objects held in this process (python-bridge) are cleaned up and pickled here, then shipped.
import "@remotemedia/python-bridge" // registers the resolver for Python object handles
import { dirname } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Executor, NodeInitializeError } from "@remotemedia/core"
import { type PyObject, start } from "@remotemedia/python-bridge"
import { Effect } from "effect"
import * as IpcTransport from "../src/IpcTransport.js"
import { base, python } from "./helpers.js"

const bridge = () => start({ venv: dirname(dirname(python)) })
const make = (cls: string, kwargs: Record<string, unknown> = {}) =>
  Effect.promise(async () => (await bridge().import("remotemedia.testing")).callMethod(cls, [], kwargs))
const get = (o: PyObject, attr: string) => Effect.promise(() => o.getJs(attr))

describe("LiveInstance", () => {
  it.live("ships a live instance with the state it holds; the caller's object is the cleaned-up original", () =>
    Effect.gen(function*() {
      const counter = yield* make("FixtureCounter", { name: "counter" })
      yield* Effect.promise(() => counter.callMethod("bump", [5]))
      const out = yield* Executor.executePipelineWithInput([counter], ["a", "b"]).pipe(Effect.provide(IpcTransport.layer(base)))
      assert.deepStrictEqual(out, [{ call: 6, input: "a" }, { call: 7, input: "b" }])
      assert.strictEqual(yield* get(counter, "calls"), 5) // the worker's copy counted, not the caller's
    }))

  it.live("returnState gives the caller's object the state its worker copy ended with", () =>
    Effect.gen(function*() {
      const counter = yield* make("FixtureCounter", { name: "counter" })
      yield* Executor.executePipelineWithInput([counter], [1, 2, 3]).pipe(Effect.provide(IpcTransport.layer({ ...base, returnState: true })))
      assert.strictEqual(yield* get(counter, "calls"), 3)
      assert.strictEqual(yield* get(counter, "last_input"), 3)
    }))

  it.live("an unpicklable instance fails with the SerializationError naming the attribute, before any worker starts", () =>
    Effect.gen(function*() {
      const py = bridge()
      yield* Effect.promise(() =>
        py.exec([
          "import threading",
          "from remotemedia import Node",
          "class LockHolder(Node):",
          "    def __init__(self):",
          "        super().__init__(name='holder')",
          "        self.cfg = {'inner': {'lock': threading.Lock()}}",
          "    def process(self, x):",
          "        return x"
        ].join("\n"))
      )
      const holder = yield* Effect.promise(() => py.eval("LockHolder()"))
      const workers: Array<unknown> = []
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([holder], [1]).pipe(Effect.provide(IpcTransport.layer({ ...base, onWorker: (w) => workers.push(w) })))
      )
      assert.instanceOf(error, NodeInitializeError)
      const cause = (error).cause as { pyType: string; pyMessage: string }
      assert.strictEqual(cause.pyType, "SerializationError")
      assert.include(cause.pyMessage, "cfg['inner']['lock']")
      assert.include(cause.pyMessage, "Suggestion:")
      assert.lengthOf(workers, 0)
    }))

  it.live("ships objects that are nodes only by shape (process and initialize)", () =>
    Effect.gen(function*() {
      const duck = yield* make("DuckNode", { name: "duck" })
      const out = yield* Executor.executePipelineWithInput([duck], [1]).pipe(Effect.provide(IpcTransport.layer(base)))
      assert.deepStrictEqual(out, ["quack:1"])
    }))
})
