// Starts one local Ray cluster for the whole test run (the package's own LocalCluster: `ray start --head --block` in a
// process group of its own, stopped alone) and gives its address to the tests (`inject("rayAddress")`).
import type { TestProject } from "vitest/node"
import { start } from "../src/LocalCluster.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The GCS address of the test cluster (`<node ip>:<port>`). */
    rayAddress: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await start({ numCpus: 2 })
  project.provide("rayAddress", cluster.address)
  return cluster.stop
}
