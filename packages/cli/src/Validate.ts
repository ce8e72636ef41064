// Validate: `remotemedia validate <manifest.json>` — every problem with its JSON path, or a summary of a valid manifest.
import { ManifestError, Pipeline } from "@remotemedia/core"
import { Cause, Effect, Exit, Logger } from "effect"
import { readJsonFile } from "./Target.js"

/** How a valid pipeline's nodes read in the summary: `a -> b -> c` for a chain, its connections for a graph. */
const shapeOf = (pipeline: Pipeline.Pipeline): string =>
  pipeline.connections === undefined
    ? pipeline.nodes.map((n) => n.id).join(" -> ")
    : `${pipeline.nodes.map((n) => n.id).join(", ")}; connections ${pipeline.connections.map((c) => `${c.from} -> ${c.to}`).join(", ")}`

/**
 * Validates the manifest at `path` (relative to `cwd`) with core's decoder,
 * which lists every problem (all schema problems, or once the shape is right
 * all semantic ones). Problems go to stderr, one `path: detail` per line, and
 * the exit code is 1; a valid manifest's summary goes to stdout with exit
 * code 0, after any warning of the decoder (e.g. upstream's JavaScript
 * dialect normalized) on stderr. Unreadable files and JSON syntax errors
 * throw a CliError.
 */
export const validateCommand = async (path: string, cwd: string): Promise<number> => {
  const raw = await readJsonFile(path, cwd)
  const warnings = Logger.make((o) => {
    process.stderr.write(`${path}: warning: ${(o.message as ReadonlyArray<unknown>).map(String).join(" ")}\n`)
  })
  const exit = await Effect.runPromiseExit(Pipeline.fromManifest(raw).pipe(Effect.provide(Logger.layer([warnings]))))
  if (Exit.isSuccess(exit)) {
    const pipeline = exit.value
    process.stdout.write(`${path}: valid manifest '${pipeline.name}', ${pipeline.nodes.length} node(s): ${shapeOf(pipeline)}\n`)
    return 0
  }
  const error = Cause.squash(exit.cause)
  const problems = error instanceof ManifestError
    ? error.problems.map((p) => `${p.path === "" ? "(document)" : p.path}: ${p.detail}`)
    : [error instanceof Error ? error.message : String(error)]
  process.stderr.write(`${problems.join("\n")}\n${path}: not a valid manifest (${problems.length} problem${problems.length === 1 ? "" : "s"})\n`)
  return 1
}
