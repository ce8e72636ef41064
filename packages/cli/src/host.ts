// host: the hidden `remotemedia host` command — the runtime child of a standalone Python caller (see transport-ipc's Host).
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { Host } from "@remotemedia/transport-ipc"
import { usageError } from "./CliError.js"

const fds = ["control-in", "control-out", "worker-out", "worker-in"] as const

/**
 * `remotemedia host --control-in N --control-out N --worker-out N --worker-in N`:
 * serves the caller on those inherited file descriptors until it is done,
 * then exits with the host's status (runs' nodes and transports cleaned up).
 *
 * @category commands
 * @since 0.1.0
 */
export const host = async (args: ReadonlyArray<string>): Promise<number> => {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...args], options: Object.fromEntries(fds.map((f) => [f, { type: "string" }])), strict: true }).values
  } catch (e) {
    throw usageError((e as Error).message)
  }
  const [controlIn, controlOut, workerOut, workerIn] = fds.map((f) => {
    const n = Number(values[f])
    if (!Number.isInteger(n) || n < 0) throw usageError(`host needs --${f} <file descriptor>`)
    return n
  })
  const runtime = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { readonly version: string }).version
  const status = await Host.serve({ controlIn: controlIn!, controlOut: controlOut!, workerOut: workerOut!, workerIn: workerIn!, runtime })
  // Transports may hold handles (warm workers, the embedded interpreter): the caller is done, so is this process.
  process.exit(status)
}
