// RayTransport: its own options (checked before any process starts), the cluster from RAY_ADDRESS, and nodes run
// through the driver on the test cluster.
import { assert, describe, it } from "@effect/vitest"
import { Executor, NodeRef, TransportUnavailable } from "@remotemedia/core"
import { Effect } from "effect"
import * as RayTransport from "../src/RayTransport.js"
import { address, python } from "./helpers.js"

const scale = (id: string, factor: number) => NodeRef.manifestNode(id, "FixtureScale", { factor })

const run = (options: RayTransport.RayOptions, items: ReadonlyArray<number>) =>
  Executor.executePipelineWithInput([scale("double", 2), scale("triple", 3)], items as never).pipe(
    Effect.provide(RayTransport.layer({ python, imports: ["remotemedia.testing"], stderrLogLevel: "Debug", ...options }))
  )

describe("RayTransport: options", () => {
  for (
    const [title, options, problem] of [
      ["a negative actorRestarts", { actorRestarts: -1 }, "actorRestarts"],
      ["a fractional actorRestarts", { actorRestarts: 1.5 }, "actorRestarts"],
      ["an empty address", { address: "" }, "address"],
      ["a zero placementTimeoutMs", { placementTimeoutMs: 0 }, "placementTimeoutMs"],
      ["a fractional local.numCpus", { local: { numCpus: 0.5 } }, "numCpus"],
      ["a negative local resource", { local: { resources: { slot: -1 } } }, "slot"]
    ] as const
  ) {
    it.effect(`${title} fails with TransportUnavailable naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(RayTransport.make({ python, ...options }))
        assert.instanceOf(error, TransportUnavailable)
        assert.strictEqual(error.transport, "ray")
        assert.include(error.message, "invalid ray options")
        assert.include(error.message, problem)
      }))
  }

  it.effect("transport-ipc's options are still checked", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(RayTransport.make({ python, itemTimeoutMs: -5 }))
      assert.include(error.message, "invalid options")
    }))
})

describe("RayTransport: on the test cluster", () => {
  it.live("a chain of manifest nodes runs through the driver (address and the other options)", () =>
    Effect.gen(function*() {
      const outputs = yield* run({ address, namespace: "remotemedia-tests", actorRestarts: 1, placementTimeoutMs: 60_000 }, [1, 2, 3])
      assert.deepStrictEqual(outputs, [6, 12, 18])
    }))

  it.live("without the address option, RAY_ADDRESS names the cluster", () => {
    const before = process.env["RAY_ADDRESS"]
    return Effect.gen(function*() {
      process.env["RAY_ADDRESS"] = address
      const outputs = yield* run({}, [5])
      assert.deepStrictEqual(outputs, [30])
    }).pipe(
      Effect.ensuring(Effect.sync(() => {
        if (before === undefined) delete process.env["RAY_ADDRESS"]
        else process.env["RAY_ADDRESS"] = before
      }))
    )
  })
})
