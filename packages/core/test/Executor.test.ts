// Executor behaviour on TypeScript nodes: chains, 0..N outputs, order, concurrency, backpressure, sources, metrics, transports.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Stream } from "effect"
import { Executor, NodeRef, Transport } from "../src/index.js"
import { NodeCleanupError, NodeInitializeError, NodeProcessError } from "../src/PipelineError.js"
import type { RuntimeData } from "../src/RuntimeData.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

describe("Executor.executePipelineWithInput", () => {
  it.effect("runs a chain of nodes in order, one output per input for 1:1 nodes", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput(
        [{ process: (x: number) => x + 1 }, { process: (x: number) => x * 10 }, { process: (x: number) => `v${x}` }],
        [1, 2, 3, 4, 5]
      )
      assert.deepStrictEqual(out, ["v20", "v30", "v40", "v50", "v60"])
    }))

  it.effect("maps each item to 0..N outputs: null/undefined drop, generators and async generators fan out", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput(
        [
          { process: (x: number) => (x % 2 === 0 ? null : x) },
          { process: (x: number) => (x === 5 ? undefined : x) },
          {
            *process(x: number) {
              for (let i = 0; i < x; i++) yield `${x}.${i}`
            }
          },
          {
            async *process(s: string) {
              await sleep(1)
              yield s
              yield `${s}!`
            }
          }
        ],
        [1, 2, 3, 4, 5]
      )
      assert.deepStrictEqual(out, ["1.0", "1.0!", "3.0", "3.0!", "3.1", "3.1!", "3.2", "3.2!"])
    }))

  it.effect("keeps arrays, objects and strings as single values (never spread)", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput(
        [{ process: (x: number) => [x, x] }, { process: (a: Array<number>) => ({ list: a, text: "ab" }) }],
        [1, 2]
      )
      assert.deepStrictEqual(out, [{ list: [1, 1], text: "ab" }, { list: [2, 2], text: "ab" }])
    }))

  it.effect("keeps order when per-item latency varies in several stages", () =>
    Effect.gen(function*() {
      const items = Array.from({ length: 60 }, (_, i) => i)
      const jitter = (x: number) => sleep((x * 7919) % 5)
      const out = yield* Executor.executePipelineWithInput(
        [
          { process: async (x: number) => (await jitter(x), x) },
          { process: async (x: number) => (await jitter(x + 3), x * 2) },
          {
            async *process(x: number) {
              await jitter(x + 1)
              yield x
              yield -x
            }
          }
        ],
        items,
        { bufferSize: 3, maxBatch: 4 }
      )
      assert.deepStrictEqual(out, items.flatMap((x) => [x * 2, -x * 2]))
    }))

  it.effect("runs stages concurrently: the second stage starts before the first has finished its input", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      yield* Executor.executePipelineWithInput(
        [
          {
            process: async (x: number) => {
              await sleep(5)
              events.push(`a${x}`)
              return x
            }
          },
          { process: (x: number) => void events.push(`b${x}`) }
        ],
        [0, 1, 2, 3, 4],
        { maxBatch: 1 }
      )
      assert.isBelow(events.indexOf("b0"), events.indexOf("a4"))
    }))

  it.effect("applies backpressure: a slow last stage bounds how far the input is read ahead", () =>
    Effect.gen(function*() {
      let produced = 0
      let consumed = 0
      let maxAhead = 0
      const input = {
        *[Symbol.iterator]() {
          for (let i = 0; i < 200; i++) {
            produced++
            yield i
          }
        }
      }
      yield* Executor.executePipelineWithInput(
        [
          { process: (x: number) => x },
          {
            process: async (x: number) => {
              await sleep(1)
              consumed++
              maxAhead = Math.max(maxAhead, produced - consumed)
              return x
            }
          }
        ],
        input,
        { bufferSize: 4, maxBatch: 2 }
      )
      assert.strictEqual(consumed, 200)
      // 3 queues of 4 + 2 batches in flight + one input chunk of bufferSize being offered
      assert.isAtMost(maxAhead, 3 * 4 + 2 * 2 + 4 + 1)
    }))

  it.effect("runs without input: the first node receives \"\"", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const out = yield* Executor.executePipeline([{ process: (x: unknown) => (seen.push(x), "ran") }])
      assert.deepStrictEqual(seen, [""])
      assert.deepStrictEqual(out, ["ran"])
    }))

  it.effect("runs source nodes (sync and async generators) without input", () =>
    Effect.gen(function*() {
      const syncSource = {
        isSource: true,
        *process() {
          yield 1
          yield 2
          yield 3
        }
      }
      const asyncSource = {
        isSource: true,
        async *process() {
          for (let i = 0; i < 3; i++) {
            await sleep(1)
            yield i
          }
        }
      }
      assert.deepStrictEqual(
        yield* Executor.executePipeline([syncSource, { process: (x: number) => x * 2 }]),
        [2, 4, 6]
      )
      assert.deepStrictEqual(yield* Executor.executePipeline([asyncSource]), [0, 1, 2])
    }))

  it.effect("rejects caller input for a pipeline that starts with a source", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Executor.executePipelineWithInput([{
        isSource: true,
        *process() {
          yield 1
        }
      }], [1]))
      assert.strictEqual(error._tag, "InvalidPipelineInput")
      assert.include(error.message, "takes no caller input")
    }))

  it.effect("a source's error carries how many items it had produced", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Executor.executePipeline([{
        id: "src",
        isSource: true,
        *process() {
          yield 1
          yield 2
          throw new Error("sensor unplugged")
        }
      }]))
      assert.instanceOf(error, NodeProcessError)
      assert.strictEqual((error).nodeId, "src")
      assert.strictEqual((error).itemIndex, 2)
      assert.include(error.message, "sensor unplugged")
    }))
})

describe("Executor metrics", () => {
  it.effect("reports items in/out and process time per node", () =>
    Effect.gen(function*() {
      const { metrics, outputs } = yield* Executor.executePipelineWithInput(
        [
          { id: "double", process: (x: number) => x * 2 },
          {
            id: "split",
            *process(x: number) {
              yield x
              yield x
            }
          },
          { id: "evens", process: async (x: number) => (await sleep(2), x % 4 === 0 ? x : null) }
        ],
        [1, 2, 3, 4],
        { metrics: true }
      )
      assert.deepStrictEqual(outputs, [4, 4, 8, 8])
      assert.deepStrictEqual(
        metrics.nodes.map((n) => [n.nodeId, n.itemsIn, n.itemsOut, n.errors]),
        [["double", 4, 4, 0], ["split", 4, 8, 0], ["evens", 8, 4, 0]]
      )
      const evens = metrics.nodes[2]!.processTime
      assert.isAtLeast(evens.p50, 1.5)
      assert.isAtLeast(evens.p99, evens.p50)
      assert.isAtLeast(evens.total, 8 * 1.5)
      assert.isAbove(metrics.totalMs, evens.p50)
    }))

  it.effect("onMetrics receives the figures of a failed run, error counted", () =>
    Effect.gen(function*() {
      let seen: Executor.RunResult["metrics"] | undefined
      yield* Effect.flip(Executor.executePipelineWithInput(
        [{ id: "pass", process: (x: number) => x }, {
          id: "fails",
          process: (x: number) => {
            if (x === 3) throw new Error("bad")
            return x
          }
        }],
        [1, 2, 3, 4],
        { onMetrics: (m) => (seen = m), maxBatch: 1 }
      ))
      assert.isDefined(seen)
      const fails = seen.nodes.find((n) => n.nodeId === "fails")!
      assert.strictEqual(fails.errors, 1)
      assert.strictEqual(fails.itemsOut, 2)
    }))
})

describe("Executor with a Transport", () => {
  // A minimal in-memory Transport: the executor is under test here, not the transport; it only
  // records how the executor groups Python nodes and honours the Transport contract.
  const recordingTransport = (calls: Array<ReadonlyArray<string>>, lifecycle: Array<string>) =>
    Layer.succeed(Transport.Transport, {
      name: "recording",
      load: (nodes, report) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            calls.push(nodes.map((n) => n.id))
            lifecycle.push(`init ${nodes.map((n) => n.id).join("+")}`)
          }),
          () =>
            Effect.sync(() => {
              lifecycle.push(`cleanup ${nodes.map((n) => n.id).join("+")}`)
              if (nodes.some((n) => n.id === "flaky")) {
                report(new NodeCleanupError({ nodeId: "flaky", cause: new Error("socket already closed") }))
              }
            })
        ).pipe(Effect.as<ReadonlyArray<Transport.Stage>>([{
          _tag: "Transform",
          nodeIds: nodes.map((n) => n.id),
          process: (items) => Effect.succeed(items.map((x) => `${String(x as string)}|${nodes.map((n) => n.id).join("+")}`))
        }]))
    })

  it.effect("hands consecutive Python nodes to the transport together and runs TS nodes itself", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<string>> = []
      const lifecycle: Array<string> = []
      const out = yield* Executor.executePipelineWithInput(
        [
          NodeRef.manifestNode("a", "PassThroughNode"),
          NodeRef.manifestNode("b", "PassThroughNode"),
          { id: "ts", process: (x: string) => `${x}|ts` },
          NodeRef.manifestNode("c", "PassThroughNode")
        ],
        ["x"]
      ).pipe(Effect.provide(recordingTransport(calls, lifecycle)))
      assert.deepStrictEqual(calls, [["a", "b"], ["c"]])
      assert.deepStrictEqual(out, ["x|a+b|ts|c"])
      assert.deepStrictEqual(lifecycle, ["init a+b", "init c", "cleanup c", "cleanup a+b"])
    }))

  it.effect("a transport's cleanup failure fails an otherwise successful run with NodeCleanupError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([NodeRef.manifestNode("flaky", "PassThroughNode")], [1]).pipe(
          Effect.provide(recordingTransport([], []))
        )
      )
      assert.instanceOf(error, NodeCleanupError)
      assert.include(error.message, "socket already closed")
    }))

  it.effect("a transport service given as the transport option is used as it is", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<string>> = []
      const service = yield* Effect.provide(
        Effect.gen(function*() {
          return yield* Transport.Transport
        }),
        recordingTransport(calls, [])
      )
      const out = yield* Executor.executePipelineWithInput([NodeRef.manifestNode("m", "PassThroughNode")], ["x"], {
        transport: service
      })
      assert.deepStrictEqual(out, ["x|m"])
      assert.deepStrictEqual(calls, [["m"]])
    }))

  it.effect("a pure TypeScript pipeline never selects a transport", () =>
    Effect.gen(function*() {
      const out = yield* Executor.executePipelineWithInput([{ process: (x: number) => x }], [7], {
        transport: "no-such-transport"
      })
      assert.deepStrictEqual(out, [7])
    }))

  it.effect("a transport option that is neither a name nor a service is rejected saying so", () =>
    Effect.gen(function*() {
      const service = yield* Effect.provide(
        Effect.gen(function*() {
          return yield* Transport.Transport
        }),
        recordingTransport([], [])
      )
      const pending = Promise.resolve(service)
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([NodeRef.manifestNode("m", "PassThroughNode")], ["x"], {
          transport: pending as unknown as Transport.Transport["Service"]
        })
      )
      assert.strictEqual(error._tag, "TransportUnavailable")
      assert.include(error.message, "the 'transport' option is a Promise: await the transport package's create()")
      const other = yield* Effect.flip(
        Executor.executePipelineWithInput([{ process: (x: number) => x }], [1], {
          transport: { name: 3 } as unknown as Transport.Transport["Service"]
        })
      )
      assert.include(other.message, "must be a transport name such as \"ipc\" or a transport service")
      assert.include(other.message, "got Object{name}")
    }))

  it.effect("without a provided transport, the selected package must be installed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([NodeRef.manifestNode("a", "PassThroughNode")], [1], {
          transport: "@remotemedia/transport-not-installed"
        })
      )
      assert.strictEqual(error._tag, "TransportUnavailable")
      assert.include(error.message, "npm install @remotemedia/transport-not-installed")
    }))
})

describe("Executor.streamPipeline", () => {
  it.effect("streams outputs as inputs arrive, from an Effect Stream", () =>
    Effect.gen(function*() {
      const out = yield* Stream.runCollect(
        Executor.streamPipeline([{ process: (x: number) => x + 1 }], Stream.make(1, 2, 3))
      )
      assert.deepStrictEqual(out, [2, 3, 4])
    }))

  it.effect("takes only what it needs from an infinite input and then cleans up", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const out = yield* Stream.runCollect(
        Executor.streamPipeline(
          [{ initialize: () => void log.push("init"), process: (x: number) => x * 2, cleanup: () => void log.push("cleanup") }],
          Stream.iterate(0, (n) => n + 1)
        ).pipe(Stream.take(4))
      )
      assert.deepStrictEqual(out, [0, 2, 4, 6])
      assert.deepStrictEqual(log, ["init", "cleanup"])
    }))

  it.effect("cleanup has run by the time the stream ends", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      yield* Stream.runForEach(
        Stream.concat(
          Executor.streamPipeline([{ process: (x: number) => x, cleanup: () => void log.push("cleanup") }], Stream.make(1)),
          Stream.fromEffect(Effect.sync(() => log.push("after")))
        ),
        () => Effect.void
      )
      assert.deepStrictEqual(log, ["cleanup", "after"])
    }))

  it.effect("interrupting the consuming fiber cleans up every node", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const node = (id: string) => ({
        id,
        initialize: () => void log.push(`init ${id}`),
        process: async (x: RuntimeData) => (await sleep(2), x),
        cleanup: () => void log.push(`cleanup ${id}`)
      })
      const fiber = yield* Effect.forkChild(
        Executor.executePipelineWithInput([node("a"), node("b")], Stream.iterate(0, (n) => n + 1))
      )
      yield* Effect.promise(() => sleep(30))
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(log.filter((l) => l.startsWith("cleanup")).sort(), ["cleanup a", "cleanup b"])
      assert.deepStrictEqual(log.filter((l) => l.startsWith("init")), ["init a", "init b"])
    }))
})

describe("Executor errors", () => {
  it.effect("names the node and item index of a process failure, with the original cause", () =>
    Effect.gen(function*() {
      const boom = new RangeError("value out of range")
      const error = yield* Effect.flip(Executor.executePipelineWithInput(
        [{ id: "ok", process: (x: number) => x }, {
          id: "picky",
          process: (x: number) => {
            if (x === 30) throw boom
            return x
          }
        }],
        [10, 20, 30, 40]
      ))
      assert.instanceOf(error, NodeProcessError)
      const e = error
      assert.strictEqual(e.nodeId, "picky")
      assert.strictEqual(e.itemIndex, 2)
      assert.strictEqual(e.cause, boom)
    }))

  it.effect("an initialize failure is a NodeInitializeError naming the node", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Executor.executePipelineWithInput(
        [{
          id: "model",
          initialize: async () => {
            throw new Error("weights missing")
          },
          process: (x: number) => x
        }],
        [1]
      ))
      assert.instanceOf(error, NodeInitializeError)
      assert.strictEqual((error).nodeId, "model")
      assert.include(error.message, "weights missing")
    }))
})
