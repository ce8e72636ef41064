// Plain `node script.mjs` runs on the iceoryx transport: output, exit code and lifecycle as a user sees them.
import { plainScriptSuite } from "@remotemedia/conformance"

plainScriptSuite("iceoryx", { isolatesCrashes: true })
