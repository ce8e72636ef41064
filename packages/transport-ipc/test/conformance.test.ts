// The shared transport conformance suite, run against the IPC transport (worker subprocesses).
// Instances cross as pickles, so the scenarios that inspect the caller's own objects afterwards do not apply.
// The worker imports remotemedia.testing so manifests can name the fixture nodes; importing
// @remotemedia/python-bridge registers the resolver that turns Python object handles into nodes.
import "@remotemedia/python-bridge"
import { transportSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { python } from "./helpers.js"

transportSuite("ipc", () => layer({ python, imports: ["remotemedia.testing"], stderrLogLevel: "Debug" }), { sharesCallerObjects: false })
