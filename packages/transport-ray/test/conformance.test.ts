// The shared transport conformance suite, run against the ray transport (nodes as Ray actors on the test cluster).
// Instances cross as pickles, so the scenarios that inspect the caller's own objects afterwards do not apply.
// A pool of one driver: a scenario's runs reuse its cluster connection. Ray makes every scenario slower than on ipc.
import "@remotemedia/python-bridge"
import { transportSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { address, python } from "./helpers.js"

transportSuite(
  "ray",
  () => layer({ python, imports: ["remotemedia.testing"], stderrLogLevel: "Debug", address, pool: { size: 1 } }),
  { sharesCallerObjects: false },
  { timeout: 120_000 }
)
