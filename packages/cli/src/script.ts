// Runs a Python script target (`remotemedia run file.py -- args`): the dispatch to @remotemedia/python-bridge's runScript.
import { CliError } from "./CliError.js"

/** What `remotemedia run` passes on to a script run. */
export interface ScriptOptions {
  readonly transport: string | undefined
  readonly configFile: string | undefined
  readonly verbose: boolean
  readonly signal: AbortSignal
}

/** Runs the script at `path` with `argv` as its `sys.argv[1:]`; resolves to its exit code. */
export const runScript = (_path: string, _argv: ReadonlyArray<string>, _options: ScriptOptions): Promise<number> =>
  Promise.reject(new CliError("running a Python script is not available yet"))
