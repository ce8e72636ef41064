// Reads the lifecycle log scenario scripts' nodes append to (`[name] event pid` per line) into event counts per process.

import { readFileSync } from "node:fs"

/**
 * How often each process logged each event; `withName` when lines start with a node name.
 * A missing log (no node logged anything) gives an empty map.
 */
export const eventsByPid = (log: string, withName: boolean): Map<string, Record<string, number>> => {
  let lines: Array<string> = []
  try {
    lines = readFileSync(log, "utf8").trim().split("\n")
  } catch {
    // no node logged anything
  }
  const byPid = new Map<string, Record<string, number>>()
  for (const line of lines) {
    const fields = line.split(" ")
    const [event, pid] = withName ? fields.slice(1) : fields
    if (event === undefined || pid === undefined) continue
    const counts = byPid.get(pid) ?? {}
    counts[event] = (counts[event] ?? 0) + 1
    byPid.set(pid, counts)
  }
  return byPid
}
