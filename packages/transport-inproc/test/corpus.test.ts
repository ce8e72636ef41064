// The upstream-modeled manifest corpus, run end to end on the in-process transport.
import { corpusSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"

corpusSuite("inproc", () => layer())
