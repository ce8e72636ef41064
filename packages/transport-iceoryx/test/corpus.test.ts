// The upstream-modeled manifest corpus, run end to end on the iceoryx transport (a low threshold: media through shared memory).
import { corpusSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { python } from "./helpers.js"

corpusSuite("iceoryx", () => layer({ python, shm: { thresholdBytes: 1 } }))
