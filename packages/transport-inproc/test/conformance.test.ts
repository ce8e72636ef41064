// The shared transport conformance suite, run against the in-process transport (the reference).
import { transportSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"

transportSuite("inproc", () => layer(), { sharesCallerObjects: true })
