// WorkerProcess: spawning, hello, requests, stderr, crashes, protocol errors, shutdown — on a real worker.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { ProtocolError, WorkerCrashed, WorkerStartError } from "../src/IpcError.js"
import { CodecError } from "../src/internal/Codec.js"
import { PROTOCOL_VERSION } from "../src/internal/Protocol.js"
import { type SpawnOptions, Worker } from "../src/internal/WorkerProcess.js"
import { alive, eventually, fixturesDir, python } from "./helpers.js"

const options = (extra: Partial<SpawnOptions> = {}): SpawnOptions => ({
  python,
  env: { PYTHONPATH: fixturesDir },
  workerArgs: ["--allow-module", "ipc_test_nodes"],
  nodeIds: ["n"],
  stderrTailLines: 5,
  startTimeoutMs: 30_000,
  ...extra
})

const withWorker = <A, E>(use: (w: Worker) => Effect.Effect<A, E>, extra: Partial<SpawnOptions> = {}) =>
  Effect.acquireUseRelease(Worker.start(options(extra)), use, (w) => w.shutdown(2_000))

describe("Worker", () => {
  it.live("starts, says hello with its versions, answers requests in order and shuts down cleanly", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        assert.strictEqual(w.hello?.protocol, PROTOCOL_VERSION)
        assert.strictEqual(w.hello?.pid, w.pid)
        assert.match(w.hello!.python, /^3\.\d+\.\d+$/)
        const loaded = yield* w.request({ op: "load_manifest", slot: 0, node_id: "p", node_type: "PassThrough", params: {} }, "load")
        assert.strictEqual(loaded.op, "loaded")
        const [a, b] = yield* Effect.all([
          w.request({ op: "process", slots: [0], items: ["a"], first_index: 0 }, "one"),
          w.request({ op: "process", slots: [0], items: ["b", "c"], first_index: 1 }, "two")
        ], { concurrency: 2 })
        assert.deepStrictEqual([a, b].map((r) => r.op === "result" ? r.outputs : r.op), [["a"], ["b", "c"]])
        const pid = w.pid
        yield* w.shutdown(2_000)
        assert.isFalse(w.alive)
        assert.isFalse(alive(pid))
      })
    ))

  it.live("keeps the last stderr lines and passes each line on as it arrives", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      yield* withWorker((w) =>
        Effect.gen(function*() {
          yield* w.request({ op: "load_manifest", slot: 0, node_id: "c", node_type: "ipc_test_nodes:Chatty", params: {} }, "load")
          for (let i = 0; i < 8; i++) yield* w.request({ op: "process", slots: [0], items: [i], first_index: i }, "p")
          yield* Effect.promise(() => eventually(() => lines.some((l) => l.includes("careful with 7"))))
          const tail = w.stderrTail()
          assert.strictEqual(tail.length, 5)
          assert.include(tail.join("\n"), "careful with 7")
        }), { onStderrLine: (line) => lines.push(line) })
      assert.include(lines, "chatty got 0")
      assert.include(lines, "WARNING chatty: careful with 0")
    }))

  it.live("fails requests in flight with WorkerCrashed (signal, stderr tail) within a second of a SIGKILL", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        yield* w.request({ op: "load_manifest", slot: 0, node_id: "s", node_type: "ipc_test_nodes:Sleep", params: {} }, "load")
        const started = Date.now()
        setTimeout(() => process.kill(w.pid, "SIGKILL"), 200)
        const exit = yield* Effect.exit(w.request({ op: "process", slots: [0], items: [30], first_index: 0 }, "a long item"))
        const elapsed = Date.now() - started - 200
        assert.isTrue(Exit.isFailure(exit))
        const error = (exit as Exit.Failure<never, unknown>).cause.reasons[0] as { error?: unknown }
        assert.instanceOf(error.error, WorkerCrashed)
        const crash = error.error
        assert.strictEqual(crash.signal, "SIGKILL")
        assert.strictEqual(crash.during, "a long item")
        assert.isBelow(elapsed, 1_000)
        assert.isFalse(alive(crash.pid)) // reaped: no zombie
        const again = yield* Effect.exit(w.request({ op: "shutdown" }, "after"))
        assert.isTrue(Exit.isFailure(again))
      })
    ))

  for (const [fault, pattern] of [
    ["garbage", /invalid msgpack/],
    ["short-split", /split body of 3 bytes is shorter than its 5-byte header/],
    ["not-a-map", /must be a map, got an array/],
    ["wrong-seq", /reply 'ok' for unknown request 101/],
    ["huge", /a frame announcing 4294967295 bytes exceeds the limit of 1073741824 bytes/],
    ["truncated", /truncated frame: stream ended after 4 of 100 announced bytes/]
  ] as const) {
    it.live(`turns a ${fault} frame from the worker into a ProtocolError and stops the worker`, () =>
      withWorker((w) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(w.request({ op: "end", slots: [0] }, "end"))
          assert.instanceOf(error, ProtocolError)
          assert.strictEqual((error).detectedBy, "parent")
          assert.match((error).detail, pattern)
          yield* w.waitExit()
          assert.isFalse(w.alive)
        }), { command: [join(fixturesDir, "bad_worker.py"), fault] }))
  }

  it.live("refuses a reply longer than its maxFrameBytes, naming the size and the cap", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(w.request({ op: "end", slots: [0] }, "end"))
        assert.instanceOf(error, ProtocolError)
        assert.match((error).detail, /a frame announcing 5000 bytes exceeds the limit of 4096 bytes \(maxFrameBytes\)/)
        yield* w.waitExit()
      }), { command: [join(fixturesDir, "bad_worker.py"), "over-4096"], maxFrameBytes: 4096 }))

  it.live("refuses to send a request longer than its maxFrameBytes: that request fails, the worker stays", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        yield* w.request({ op: "load_manifest", slot: 0, node_id: "p", node_type: "PassThrough", params: {} }, "load")
        const error = yield* Effect.flip(w.request({ op: "process", slots: [0], items: [new Uint8Array(5000)], first_index: 0 }, "big"))
        assert.instanceOf(error, CodecError)
        assert.match(error.message, /a frame of \d+ bytes exceeds the limit of 4096 bytes/)
        const reply = yield* w.request({ op: "process", slots: [0], items: ["small"], first_index: 0 }, "small")
        assert.deepStrictEqual(reply.op === "result" && reply.outputs, ["small"])
      }), { maxFrameBytes: 4096 }))

  it.live("an interrupted process request is cancelled in the worker: the next request is answered within an item's time", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        yield* w.request({ op: "load_manifest", slot: 0, node_id: "s", node_type: "ipc_test_nodes:Sleep", params: {} }, "load")
        const batch = w.request({ op: "process", slots: [0], items: new Array(10).fill(0.2), first_index: 0 }, "ten slow items")
        const interrupted = yield* Effect.exit(Effect.timeout(batch, 300))
        assert.isTrue(Exit.isFailure(interrupted))
        const stopped = Date.now()
        const next = yield* w.request({ op: "process", slots: [0], items: [0], first_index: 10 }, "after")
        assert.deepStrictEqual(next.op === "result" && next.outputs, [0])
        assert.isBelow(Date.now() - stopped, 250, "the worker went on with the abandoned batch")
        assert.isTrue(w.alive)
      })
    ))

  it.live("reports a worker that rejects a frame as a ProtocolError detected by the worker", () =>
    withWorker((w) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(w.request({ op: "cleanup", slot: 42 }, "cleanup"))
        assert.instanceOf(error, ProtocolError)
        assert.strictEqual((error).detectedBy, "worker")
        assert.match((error).detail, /slot 42 is not loaded/)
      })
    ))

  it.live("fails to start with WorkerStartError naming the command and the stderr tail", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Worker.start(options({ python: "/nonexistent/python3" })))
      assert.instanceOf(missing, WorkerStartError)
      assert.match(missing.message, /ENOENT/)
      const badImport = yield* Effect.flip(Worker.start(options({ workerArgs: ["--import", "no_such_module_here"] })))
      assert.match(badImport.detail, /exited with code 1 before saying hello/)
      assert.include(badImport.stderrTail.join("\n"), "No module named 'no_such_module_here'")
    }))
})
