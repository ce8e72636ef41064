// The shared transport conformance suite, run against the iceoryx transport (worker subprocesses, payloads in shared memory).
// Instances cross as pickles, so the scenarios that inspect the caller's own objects afterwards do not apply.
// A low threshold sends every media value of the suite through shared memory, not just the large ones.
import "@remotemedia/python-bridge"
import { transportSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { python } from "./helpers.js"

transportSuite(
  "iceoryx",
  () => layer({ python, imports: ["remotemedia.testing"], stderrLogLevel: "Debug", shm: { thresholdBytes: 1 } }),
  { sharesCallerObjects: false }
)
