/**
 * Manifest v1: the JSON pipeline document upstream's `Pipeline.serialize()`
 * writes, decoded with Effect Schema, as upstream's runtime decodes it:
 * `metadata` defaults to `{ name: "" }` and `metadata.name` to `""`, a node's `params` to `{}`, unknown extra
 * fields are kept, and `connections` may form any acyclic graph (fan-out,
 * fan-in, several sources and sinks). Manifests written by upstream's
 * JavaScript tools (camelCase `nodeType`, `isStreaming`, ... and version
 * `"1.0"`) are normalized first, with a one-line warning naming what changed.
 * Decoding reports every problem, each with the JSON path of the bad value.
 *
 * Extension: a node may carry `instance` (a serialized Python instance,
 * cloudpickle bytes in base64) instead of `node_type`.
 *
 * @since 0.1.0
 */
import { Effect, Schema, SchemaIssue } from "effect"
import { analyze, chainOrder, describeCycle } from "./internal/graph.js"
import { ManifestError, type ManifestProblem } from "./PipelineError.js"

const Extra = [Schema.Record(Schema.String, Schema.Unknown)] as const

/**
 * Node ids are what connections refer to: letters, digits, `_` and `-`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const NodeId = Schema.String.check(
  Schema.isPattern(/^[a-zA-Z0-9_-]+$/, { message: "node id must match ^[a-zA-Z0-9_-]+$" })
)

/**
 * A serialized Python instance carried inside a manifest node.
 *
 * @category schemas
 * @since 0.1.0
 */
export const InstanceSpec = Schema.Struct({
  /** Only `cloudpickle` is understood. */
  format: Schema.Literal("cloudpickle"),
  /** The pickled bytes, base64-encoded. */
  data: Schema.String.check(
    Schema.isPattern(/^[A-Za-z0-9+/]*={0,2}$/, { message: "instance data must be base64" })
  ),
  /** The class the bytes hold, for messages (`module.Class`). */
  class_name: Schema.optional(Schema.String)
})

/**
 * One node of a manifest.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ManifestNodeSpec = Schema.StructWithRest(
  Schema.Struct({
    id: NodeId,
    node_type: Schema.optional(Schema.String),
    params: Schema.Record(Schema.String, Schema.Unknown).pipe(Schema.withDecodingDefaultKey(Effect.succeed({}))),
    is_streaming: Schema.optional(Schema.Boolean),
    is_source: Schema.optional(Schema.Boolean),
    instance: Schema.optionalKey(InstanceSpec)
  }),
  Extra
)

/**
 * One node of a manifest.
 *
 * @category models
 * @since 0.1.0
 */
export type ManifestNodeSpec = typeof ManifestNodeSpec.Type

/**
 * A `from -> to` edge between node ids.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Connection = Schema.StructWithRest(Schema.Struct({ from: Schema.String, to: Schema.String }), Extra)

/**
 * The manifest's `metadata` block.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Metadata = Schema.StructWithRest(
  Schema.Struct({
    name: Schema.String.pipe(Schema.withDecodingDefaultKey(Effect.succeed(""))),
    description: Schema.optional(Schema.String),
    created_at: Schema.optional(Schema.String)
  }),
  Extra
)

/**
 * A whole manifest document.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ManifestSchema = Schema.StructWithRest(
  Schema.Struct({
    version: Schema.String,
    metadata: Metadata.pipe(Schema.withDecodingDefaultKey(Effect.succeed({ name: "" }))),
    nodes: Schema.Array(ManifestNodeSpec),
    connections: Schema.optional(Schema.Array(Connection))
  }),
  Extra
)

/**
 * A decoded, validated manifest.
 *
 * @category models
 * @since 0.1.0
 */
export type Manifest = typeof ManifestSchema.Type

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** A JSON path as ManifestError paths read: `nodes[1].node_type`, `""` for the document. */
const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = ""
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

const decodeSchema = Schema.decodeUnknownEffect(ManifestSchema)

const schemaProblems = (issue: SchemaIssue.Issue): ReadonlyArray<ManifestProblem> => {
  const issues = formatter(issue).issues
  return issues.length === 0
    ? [{ path: "", detail: "does not match manifest v1" }]
    : issues.map((i) => ({ path: i.path ? formatPath(i.path) : "", detail: i.message }))
}

/** Upstream's JavaScript tools write these keys in camelCase. */
const camelKeys: Readonly<Record<string, string>> = {
  nodeType: "node_type",
  isStreaming: "is_streaming",
  isSource: "is_source",
  isOutputNode: "is_output_node",
  runtimeHint: "runtime_hint",
  createdAt: "created_at",
  className: "class_name"
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Renames camelCase keys (unless the snake_case key is there too) and records each rename. */
const snakeCase = (u: unknown, renamed: Set<string>): unknown => {
  if (!isRecord(u)) return u
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(u)) {
    const snake = camelKeys[key]
    if (snake !== undefined && !(snake in u)) {
      out[snake] = value
      renamed.add(`${key} -> ${snake}`)
    } else out[key] = value
  }
  return out
}

/**
 * Upstream's JavaScript dialect in manifest v1 terms: version `"1.0"` is
 * `"v1"`, camelCase keys of the document, metadata, nodes and their
 * `instance` become snake_case. Returns the changes made (none for a v1 document).
 */
const normalizeDialect = (raw: unknown): { readonly document: unknown; readonly changes: ReadonlyArray<string> } => {
  if (!isRecord(raw)) return { document: raw, changes: [] }
  const renamed = new Set<string>()
  const changes: Array<string> = []
  const document = snakeCase(raw, renamed) as Record<string, unknown>
  if (document["version"] === "1.0") {
    document["version"] = "v1"
    changes.push(`version "1.0" -> "v1"`)
  }
  if ("metadata" in document) document["metadata"] = snakeCase(document["metadata"], renamed)
  if (Array.isArray(document["nodes"])) {
    document["nodes"] = document["nodes"].map((node: unknown) => {
      const n = snakeCase(node, renamed)
      return isRecord(n) && "instance" in n ? { ...n, instance: snakeCase(n["instance"], renamed) } : n
    })
  }
  return { document, changes: [...changes, ...renamed] }
}

/**
 * The semantic checks a schema cannot express, every problem listed:
 * supported version, at least one node, each node has `node_type` or
 * `instance` (not both), unique ids, connections between known, distinct
 * nodes, and no cycle. Returns the problems, or the node indices in execution
 * order and whether they form one chain.
 */
const validate = (
  m: Manifest
): { readonly problems: ReadonlyArray<ManifestProblem>; readonly order: ReadonlyArray<number>; readonly linear: boolean } => {
  const problems: Array<ManifestProblem> = []
  const problem = (path: string, detail: string) => problems.push({ path, detail })
  if (m.version !== "v1") problem("version", `unsupported version '${m.version}' (expected 'v1')`)
  if (m.nodes.length === 0) problem("nodes", "a pipeline needs at least one node")
  const index = new Map<string, number>()
  for (const [i, node] of m.nodes.entries()) {
    if (node.node_type === undefined && node.instance === undefined) {
      problem(`nodes[${i}].node_type`, "missing: a node needs node_type or instance")
    }
    if (node.node_type !== undefined && node.instance !== undefined) {
      problem(`nodes[${i}]`, "a node has either node_type or instance, not both")
    }
    const seen = index.get(node.id)
    if (seen !== undefined) problem(`nodes[${i}].id`, `duplicate node id '${node.id}' (first used by nodes[${seen}])`)
    else index.set(node.id, i)
  }
  const edges: Array<readonly [number, number]> = []
  let edgesKnown = true
  for (const [i, c] of (m.connections ?? []).entries()) {
    const from = index.get(c.from)
    const to = index.get(c.to)
    if (from === undefined) problem(`connections[${i}].from`, `unknown node '${c.from}'`)
    if (to === undefined) problem(`connections[${i}].to`, `unknown node '${c.to}'`)
    if (from === undefined || to === undefined) edgesKnown = false
    else if (from === to) {
      problem(`connections[${i}]`, `node '${c.from}' is connected to itself`)
      edgesKnown = false
    } else edges.push([from, to])
  }
  if (problems.length > 0 || !edgesKnown) return { problems, order: [], linear: false }
  const analysis = analyze(m.nodes.length, edges)
  if (analysis._tag === "Cyclic") {
    const cycle = describeCycle(analysis.cycle, (i) => `'${m.nodes[i]!.id}'`)
    return { problems: [{ path: "connections", detail: `the connections form a cycle: ${cycle}` }], order: [], linear: false }
  }
  const chain = chainOrder(m.nodes.length, analysis.shape)
  return { problems, order: chain ?? analysis.shape.order, linear: chain !== undefined }
}

/**
 * A decoded manifest with its nodes in execution order.
 *
 * @category models
 * @since 0.1.0
 */
export interface DecodedManifest {
  readonly manifest: Manifest
  /** `manifest.nodes` in execution order: along the chain, or topologically (ties in document order) for a graph. */
  readonly ordered: ReadonlyArray<ManifestNodeSpec>
  /** Whether the connections link all nodes into one chain (a single node is one). */
  readonly linear: boolean
}

/**
 * Decodes and validates a manifest given as an object or a JSON string.
 * Fails with a `ManifestError` listing every problem found: every schema
 * problem, or (once the shape is right) every semantic one. A manifest in
 * upstream's JavaScript dialect is normalized with a warning logged.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeManifest = (input: unknown): Effect.Effect<DecodedManifest, ManifestError> =>
  Effect.gen(function*() {
    let raw = input
    if (typeof input === "string") {
      try {
        raw = JSON.parse(input)
      } catch (e) {
        return yield* ManifestError.of("syntax", [{ path: "", detail: `not valid JSON (${(e as Error).message})` }])
      }
    }
    const { document, changes } = normalizeDialect(raw)
    if (changes.length > 0) {
      yield* Effect.logWarning(`manifest in upstream's JavaScript dialect, normalized: ${changes.join(", ")}`)
    }
    const manifest = yield* decodeSchema(document, { errors: "all" }).pipe(
      Effect.mapError((e) => ManifestError.of("schema", schemaProblems(e.issue)))
    )
    const { linear, order, problems } = validate(manifest)
    if (problems.length > 0) return yield* ManifestError.of("semantic", problems)
    return { manifest, ordered: order.map((i) => manifest.nodes[i]!), linear }
  })
