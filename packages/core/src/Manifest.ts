/**
 * Manifest v1: the JSON pipeline document upstream's `Pipeline.serialize()`
 * writes, decoded with Effect Schema. Errors name the JSON path of the bad
 * value; unknown extra fields are kept so upstream manifests keep working.
 *
 * Extension: a node may carry `instance` (a serialized Python instance,
 * cloudpickle bytes in base64) instead of `node_type`.
 *
 * @since 0.1.0
 */
import { Effect, Schema, SchemaIssue } from "effect"
import { ManifestError } from "./PipelineError.js"

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
    params: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
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
    name: Schema.String,
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
    metadata: Metadata,
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

const schemaError = (issue: SchemaIssue.Issue): ManifestError => {
  const first = formatter(issue).issues[0]
  return new ManifestError({
    kind: "schema",
    path: first?.path ? formatPath(first.path) : "",
    detail: first?.message ?? "does not match manifest v1"
  })
}

const semantic = (path: string, detail: string) => new ManifestError({ kind: "semantic", path, detail })

/**
 * The semantic checks a schema cannot express: supported version, at least
 * one node, each node has `node_type` or `instance`, unique ids, connections
 * between known nodes, and (v1) a single linear chain.
 *
 * Returns the node indices in execution order.
 */
const validate = (m: Manifest): Effect.Effect<ReadonlyArray<number>, ManifestError> =>
  Effect.suspend(() => {
    if (m.version !== "v1") {
      return Effect.fail(semantic("version", `unsupported version '${m.version}' (expected 'v1')`))
    }
    if (m.nodes.length === 0) return Effect.fail(semantic("nodes", "a pipeline needs at least one node"))
    const index = new Map<string, number>()
    for (const [i, node] of m.nodes.entries()) {
      if (node.node_type === undefined && node.instance === undefined) {
        return Effect.fail(semantic(`nodes[${i}].node_type`, "missing: a node needs node_type or instance"))
      }
      if (node.node_type !== undefined && node.instance !== undefined) {
        return Effect.fail(semantic(`nodes[${i}]`, "a node has either node_type or instance, not both"))
      }
      const seen = index.get(node.id)
      if (seen !== undefined) {
        return Effect.fail(semantic(`nodes[${i}].id`, `duplicate node id '${node.id}' (first used by nodes[${seen}])`))
      }
      index.set(node.id, i)
    }
    return linearOrder(m.connections ?? [], index, m.nodes.length)
  })

const linearOrder = (
  connections: ReadonlyArray<{ readonly from: string; readonly to: string }>,
  index: ReadonlyMap<string, number>,
  count: number
): Effect.Effect<ReadonlyArray<number>, ManifestError> => {
  const next = new Map<number, number>()
  const prev = new Map<number, number>()
  for (const [i, c] of connections.entries()) {
    const from = index.get(c.from)
    if (from === undefined) return Effect.fail(semantic(`connections[${i}].from`, `unknown node '${c.from}'`))
    const to = index.get(c.to)
    if (to === undefined) return Effect.fail(semantic(`connections[${i}].to`, `unknown node '${c.to}'`))
    if (from === to) return Effect.fail(semantic(`connections[${i}]`, `node '${c.from}' is connected to itself`))
    if (next.has(from)) {
      return Effect.fail(semantic(`connections[${i}]`, `node '${c.from}' has more than one output; v1 pipelines are linear chains`))
    }
    if (prev.has(to)) {
      return Effect.fail(semantic(`connections[${i}]`, `node '${c.to}' has more than one input; v1 pipelines are linear chains`))
    }
    next.set(from, to)
    prev.set(to, from)
  }
  if (connections.length === 0) {
    return count === 1
      ? Effect.succeed([0])
      : Effect.fail(semantic("connections", `${count} nodes but no connections; v1 pipelines are linear chains`))
  }
  const heads = [...index.values()].filter((i) => !prev.has(i))
  if (heads.length !== 1) {
    return Effect.fail(semantic("connections", `expected one chain through all ${count} nodes, found ${heads.length} starting points`))
  }
  const order: Array<number> = []
  for (let at: number | undefined = heads[0]; at !== undefined; at = next.get(at)) {
    order.push(at)
    if (order.length > count) break
  }
  if (order.length !== count) {
    return Effect.fail(semantic("connections", `expected one chain through all ${count} nodes, it reaches ${order.length}`))
  }
  return Effect.succeed(order)
}

/**
 * A decoded manifest with its nodes in execution order.
 *
 * @category models
 * @since 0.1.0
 */
export interface DecodedManifest {
  readonly manifest: Manifest
  /** `manifest.nodes` reordered along the connections. */
  readonly ordered: ReadonlyArray<ManifestNodeSpec>
}

/**
 * Decodes and validates a manifest given as an object or a JSON string.
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
        return yield* new ManifestError({ kind: "syntax", path: "", detail: `not valid JSON (${(e as Error).message})` })
      }
    }
    const manifest = yield* decodeSchema(raw).pipe(Effect.mapError((e) => schemaError(e.issue)))
    const order = yield* validate(manifest)
    return { manifest, ordered: order.map((i) => manifest.nodes[i]!) }
  })
