// Plain `node script.mjs` runs on the ray transport: output, exit code and lifecycle as a user sees them. The scripts
// select the transport by name only; RAY_ADDRESS (inherited) points their drivers at the test cluster.
import { plainScriptSuite } from "@remotemedia/conformance"
import { address } from "./helpers.js"

process.env["RAY_ADDRESS"] = address

plainScriptSuite("ray", { isolatesCrashes: true }, 120_000)
