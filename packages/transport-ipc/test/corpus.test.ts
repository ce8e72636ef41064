// The upstream-modeled manifest corpus, run end to end on the IPC transport (nodes in worker subprocesses).
import { corpusSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { python } from "./helpers.js"

corpusSuite("ipc", () => layer({ python }))
