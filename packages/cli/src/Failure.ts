// Failure: how an error reads on stderr (the message, a Python traceback when Python raised, the JS stack only when verbose).
import { CliError } from "./CliError.js"

interface PythonFailure {
  readonly _tag: "PythonError"
  readonly traceback: string
}

const isPythonFailure = (u: unknown): u is PythonFailure =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "PythonError" &&
  typeof (u as { traceback?: unknown }).traceback === "string"

/** The Python exception behind an error: itself or a cause down its chain. */
const pythonCause = (error: unknown): PythonFailure | undefined => {
  for (let at = error, depth = 0; at !== undefined && at !== null && depth < 10; depth++) {
    if (isPythonFailure(at)) return at
    at = (at as { cause?: unknown }).cause
  }
  return undefined
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * The text printed on stderr for a failed command: `remotemedia: <message>`,
 * then the Python traceback when Python raised, then (with `verbose`) the
 * JavaScript stack.
 */
export const describeFailure = (error: unknown, verbose: boolean): string => {
  const message = messageOf(error)
  const lines = [`remotemedia: ${message}`]
  const traceback = pythonCause(error)?.traceback.trim()
  // A traceback without frames is only the exception line the message already holds.
  if (traceback !== undefined && !message.endsWith(traceback)) lines.push(traceback)
  if (verbose && error instanceof Error && !(error instanceof CliError) && error.stack !== undefined) {
    lines.push("JavaScript stack:", error.stack)
  }
  return `${lines.join("\n")}\n`
}

/** The exit code for a failed command: a CliError's own, otherwise 1. */
export const exitCodeOf = (error: unknown): number => (error instanceof CliError ? error.exitCode : 1)
