/**
 * The typed errors every entry point fails with. Each is a Schema-backed
 * tagged error, so it is matchable with `Effect.catchTag` and is the very
 * instance a Promise API call rejects with.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * One rejected element of a pipeline input: where it was, what it was, why.
 *
 * @category models
 * @since 0.1.0
 */
export const InputIssue = Schema.Struct({
  position: Schema.Number,
  type: Schema.String,
  reason: Schema.String
})

/**
 * One rejected element of a pipeline input.
 *
 * @category models
 * @since 0.1.0
 */
export type InputIssue = typeof InputIssue.Type

/**
 * The value handed to an entry point is not something a pipeline can be
 * built from; every offending position is listed.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidPipelineInput extends Schema.TaggedError<InvalidPipelineInput>()("InvalidPipelineInput", {
  summary: Schema.String,
  issues: Schema.Array(InputIssue)
}) {
  override get message(): string {
    if (this.issues.length === 0) return this.summary
    const details = this.issues.map((i) => `[${i.position}] ${i.type}: ${i.reason}`).join("; ")
    return `${this.summary}: ${details}`
  }
}

/**
 * What stage of manifest reading failed: JSON syntax, the schema (shape and
 * types of fields) or the semantic checks (ids, connections, graph shape).
 *
 * @category models
 * @since 0.1.0
 */
export const ManifestErrorKind = Schema.Literals(["syntax", "schema", "semantic"])

/**
 * One problem of a manifest: the JSON path of the offending value (e.g.
 * `nodes[1].node_type`, `""` for the whole document) and what is wrong.
 *
 * @category models
 * @since 0.1.0
 */
export const ManifestProblem = Schema.Struct({ path: Schema.String, detail: Schema.String })

/**
 * One problem of a manifest.
 *
 * @category models
 * @since 0.1.0
 */
export type ManifestProblem = typeof ManifestProblem.Type

/**
 * A manifest could not be read. `problems` lists every problem found, each
 * with its JSON path; `path` and `detail` are the first one's.
 *
 * @category errors
 * @since 0.1.0
 */
export class ManifestError extends Schema.TaggedError<ManifestError>()("ManifestError", {
  kind: ManifestErrorKind,
  path: Schema.String,
  detail: Schema.String,
  problems: Schema.Array(ManifestProblem)
}) {
  /** The error for these problems (at least one), the first in `path` and `detail`. */
  static of(kind: typeof ManifestErrorKind.Type, problems: ReadonlyArray<ManifestProblem>): ManifestError {
    const first = problems[0] ?? { path: "", detail: "invalid manifest" }
    return new ManifestError({ kind, path: first.path, detail: first.detail, problems: problems.length > 0 ? problems : [first] })
  }

  override get message(): string {
    const at = (p: ManifestProblem) => p.path === "" ? p.detail : `${p.path}: ${p.detail}`
    const head = this.path === "" ? `Invalid manifest: ${this.detail}` : `Invalid manifest at ${this.path}: ${this.detail}`
    const rest = this.problems.slice(1)
    return rest.length === 0 ? head : `${head} (and ${rest.length} more: ${rest.map(at).join("; ")})`
  }
}

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) return cause.message
  if (typeof cause === "string") return cause
  try {
    return JSON.stringify(cause) ?? String(cause)
  } catch {
    return String(cause)
  }
}

/**
 * A node's `initialize()` failed; nodes initialized before it were cleaned up.
 *
 * @category errors
 * @since 0.1.0
 */
export class NodeInitializeError extends Schema.TaggedError<NodeInitializeError>()("NodeInitializeError", {
  nodeId: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `Node '${this.nodeId}' failed to initialize: ${describeCause(this.cause)}`
  }
}

/**
 * A node's `process()` failed on the item at `itemIndex` (counted from 0 among
 * the items that reached this node).
 *
 * @category errors
 * @since 0.1.0
 */
export class NodeProcessError extends Schema.TaggedError<NodeProcessError>()("NodeProcessError", {
  nodeId: Schema.String,
  itemIndex: Schema.Number,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `Node '${this.nodeId}' failed on item ${this.itemIndex}: ${describeCause(this.cause)}`
  }
}

/**
 * A node's `cleanup()` failed. Reported when the run itself succeeded; when
 * the run already failed, the first failure wins.
 *
 * @category errors
 * @since 0.1.0
 */
export class NodeCleanupError extends Schema.TaggedError<NodeCleanupError>()("NodeCleanupError", {
  nodeId: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `Node '${this.nodeId}' failed to clean up: ${describeCause(this.cause)}`
  }
}

/**
 * The transport a pipeline asked for cannot be loaded; `packageName` says
 * what to install (`""` when installing would not help, e.g. a bad config).
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportUnavailable extends Schema.TaggedError<TransportUnavailable>()("TransportUnavailable", {
  transport: Schema.String,
  packageName: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    const hint = this.packageName === "" ? "" : `; install it with: npm install ${this.packageName}`
    return `Transport '${this.transport}' is unavailable (${this.detail})${hint}`
  }
}

/**
 * Any error an entry point may fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type PipelineError =
  | InvalidPipelineInput
  | ManifestError
  | NodeInitializeError
  | NodeProcessError
  | NodeCleanupError
  | TransportUnavailable
