// Plain `node script.mjs` runs on the in-process transport: output, exit code and lifecycle as a user sees them.
import { plainScriptSuite } from "@remotemedia/conformance"

plainScriptSuite("inproc", { isolatesCrashes: false })
