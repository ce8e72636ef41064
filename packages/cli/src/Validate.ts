// Validate: `remotemedia validate <manifest.json>` — every problem with its JSON path, or a summary of a valid manifest.
import { Manifest, ManifestError, Pipeline } from "@remotemedia/core"
import { Cause, Effect, Exit, Schema, SchemaIssue } from "effect"
import { readJsonFile } from "./Target.js"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** `nodes[1].node_type`, as core's ManifestError paths read. */
const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string => {
  let out = ""
  for (const segment of path ?? []) {
    const key = typeof segment === "object" ? segment.key : segment
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out === "" ? "(document)" : out
}

/**
 * Every schema problem (shape and types of fields), each as `path: message`.
 * Core's decoder stops at the first; the same schema run with `errors: "all"`
 * lists them all.
 */
const schemaProblems = async (raw: unknown): Promise<ReadonlyArray<string>> => {
  const exit = await Effect.runPromiseExit(Schema.decodeUnknownEffect(Manifest.ManifestSchema)(raw, { errors: "all" }))
  if (Exit.isSuccess(exit)) return []
  const error = Cause.squash(exit.cause)
  if (!Schema.isSchemaError(error)) throw error
  return formatter(error.issue).issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
}

/**
 * Validates the manifest at `path` (relative to `cwd`). Problems go to
 * stderr, one per line, and the exit code is 1; a valid manifest's summary
 * goes to stdout with exit code 0. Unreadable files and JSON syntax errors
 * throw a CliError.
 */
export const validateCommand = async (path: string, cwd: string): Promise<number> => {
  const raw = await readJsonFile(path, cwd)
  let problems = await schemaProblems(raw)
  if (problems.length === 0) {
    // The semantic checks (version, ids, node_type or instance, connections) of core, which stop at the first problem.
    const exit = await Effect.runPromiseExit(Pipeline.fromManifest(raw))
    if (Exit.isSuccess(exit)) {
      const pipeline = exit.value
      const ids = pipeline.nodes.map((n) => n.id)
      process.stdout.write(`${path}: valid manifest '${pipeline.name}', ${ids.length} node(s): ${ids.join(" -> ")}\n`)
      return 0
    }
    const error = Cause.squash(exit.cause)
    problems = [
      error instanceof ManifestError
        ? `${error.path === "" ? "(document)" : error.path}: ${error.detail}`
        : error instanceof Error ? error.message : String(error)
    ]
  }
  process.stderr.write(`${problems.join("\n")}\n${path}: not a valid manifest (${problems.length} problem${problems.length === 1 ? "" : "s"})\n`)
  return 1
}
