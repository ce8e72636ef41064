// Shared test setup: the interpreter, and the address of the test run's Ray cluster (started by globalSetup.ts).
import { PythonEnvironment } from "@remotemedia/core"
import { inject } from "vitest"

const found = PythonEnvironment.find()
if (found._tag === "NotFound") throw new Error(`the tests need a Python: ${found.reason}`)
export const python = found.python

/** The local cluster every test transport connects to. */
export const address = inject("rayAddress")
