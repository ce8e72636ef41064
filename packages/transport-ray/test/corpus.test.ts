// The upstream-modeled manifest corpus, run end to end on the ray transport (every Python node an actor on the test cluster).
import { corpusSuite } from "@remotemedia/conformance"
import { layer } from "../src/index.js"
import { address, python } from "./helpers.js"

corpusSuite("ray", () => layer({ python, address }))
