// Plain `node script.mjs` runs on the ipc transport: output, exit code and lifecycle as a user sees them.
import { plainScriptSuite } from "@remotemedia/conformance"

plainScriptSuite("ipc", { isolatesCrashes: true })
