// Runs a Python script target (`remotemedia run file.py -- args`) inside this runtime, through @remotemedia/python-bridge's runScript.
import { runScript as runInRuntime } from "@remotemedia/python-bridge"

/** What `remotemedia run` passes on to a script run. */
export interface ScriptOptions {
  readonly transport: string | undefined
  readonly configFile: string | undefined
  readonly verbose: boolean
  readonly signal: AbortSignal
}

/**
 * Runs the script at `path` with `argv` as its `sys.argv[1:]`; resolves to its exit code (its traceback, if
 * it fails, is on stderr already). A config file chooses the transport of its runs as for a manifest.
 */
export const runScript = async (path: string, argv: ReadonlyArray<string>, options: ScriptOptions): Promise<number> => {
  if (options.configFile !== undefined) process.env["REMOTEMEDIA_CONFIG"] = options.configFile
  return runInRuntime(path, argv, { transport: options.transport, signal: options.signal })
}
