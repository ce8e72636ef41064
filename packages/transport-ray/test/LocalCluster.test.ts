// LocalCluster: a cluster of its own on this machine, started and stopped alone (the test run's cluster keeps running).
import { execFileSync } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as LocalCluster from "../src/LocalCluster.js"
import * as RayTransport from "../src/RayTransport.js"
import { Executor, NodeRef } from "@remotemedia/core"
import { address as testCluster, python } from "./helpers.js"

/** Whether something listens on the port of `address` (`host:port`). */
const listening = (address: string): boolean => {
  const port = address.split(":").at(-1)
  const lines = execFileSync("ss", ["-ltnH"], { encoding: "utf8" }).split("\n")
  return lines.some((line) => line.split(/\s+/)[3]?.endsWith(`:${port}`) === true)
}

describe("LocalCluster", () => {
  it.live("a scoped cluster runs pipelines at its address and is gone when its scope closes, the other cluster untouched", () =>
    Effect.gen(function*() {
      const address = yield* Effect.scoped(
        Effect.gen(function*() {
          const cluster = yield* LocalCluster.scoped({ python, numCpus: 1, resources: { camera_host: 1 } })
          assert.notStrictEqual(cluster.address, testCluster)
          assert.isTrue(listening(cluster.address))
          const pinned = NodeRef.manifestNode("scale", "FixtureScale", { factor: 3, ray: { resources: { camera_host: 1 } } })
          const outputs = yield* Executor.executePipelineWithInput([pinned], [1, 2]).pipe(
            Effect.provide(RayTransport.layer({ python, address: cluster.address, imports: ["remotemedia.testing"] }))
          )
          assert.deepStrictEqual(outputs, [3, 6])
          return cluster.address
        })
      )
      assert.isFalse(listening(address), `the cluster at ${address} outlived its scope`)
      assert.isTrue(listening(testCluster), "the test run's own cluster was stopped too")
    }), 120_000)
})
