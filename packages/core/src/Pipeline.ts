/**
 * Pipeline: a name plus node references, linked as a chain in order or by
 * explicit connections into any acyclic graph (fan-out, fan-in, several
 * sources and sinks), and the normalisation that turns whatever a caller hands
 * an entry point into one (FR-004): a Pipeline, an array of mixed NodeRefs, a
 * manifest object or JSON string, or (through registered resolvers, e.g. the
 * Python bridge) a Python Pipeline or Node handle.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { checkGraph } from "./internal/graph.js"
import { decodeManifest, type ManifestNodeSpec, NodeId } from "./Manifest.js"
import {
  describeValue,
  isManifestNode,
  isPythonInstance,
  isSerializedInstance,
  isTsNode,
  manifestNode,
  type NodeRef,
  serializedInstance
} from "./NodeRef.js"
import { type InputIssue, InvalidPipelineInput, ManifestError } from "./PipelineError.js"

/**
 * A node placed in a pipeline, with its resolved id.
 *
 * @category models
 * @since 0.1.0
 */
export interface PipelineNode {
  readonly id: string
  readonly ref: NodeRef
}

/**
 * A `from -> to` edge between node ids: every output of `from` is an input of `to`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connection {
  readonly from: string
  readonly to: string
}

/**
 * A runnable pipeline. Without `connections` its nodes form a chain in
 * order; with them, the graph they describe (nodes with no incoming
 * connection are sources, receiving the caller's input; nodes with no
 * outgoing connection are sinks, whose outputs the run returns).
 *
 * @category models
 * @since 0.1.0
 */
export interface Pipeline {
  readonly _tag: "Pipeline"
  readonly name: string
  readonly nodes: ReadonlyArray<PipelineNode>
  readonly connections?: ReadonlyArray<Connection> | undefined
}

/**
 * @category guards
 * @since 0.1.0
 */
export const isPipeline = (u: unknown): u is Pipeline =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "Pipeline" &&
  Array.isArray((u as { nodes?: unknown }).nodes)

/**
 * Turns a foreign pipeline description (e.g. a Python `Pipeline` handle)
 * into node references. Registered by packages such as the Python bridge.
 *
 * @category extension
 * @since 0.1.0
 */
export interface InputResolver {
  /** Shown in messages. */
  readonly name: string
  /** Whether this resolver understands `input`. */
  readonly canResolve: (input: unknown) => boolean
  /** The pipeline name (if the input carries one) and its nodes in order. */
  readonly resolve: (
    input: unknown
  ) => Effect.Effect<{ readonly name?: string | undefined; readonly nodes: ReadonlyArray<unknown> }, InvalidPipelineInput>
}

// Kept on globalThis so the ESM and CJS builds of core share one registry.
const registryKey = Symbol.for("@remotemedia/core/InputResolvers")
const resolvers = (): Array<InputResolver> => {
  const g = globalThis as { [registryKey]?: Array<InputResolver> }
  return (g[registryKey] ??= [])
}

/**
 * Registers an input resolver; registering the same `name` again replaces it.
 *
 * @category extension
 * @since 0.1.0
 */
export const registerInputResolver = (resolver: InputResolver): void => {
  const list = resolvers()
  const at = list.findIndex((r) => r.name === resolver.name)
  if (at >= 0) list[at] = resolver
  else list.push(resolver)
}

/**
 * Everything an entry point accepts as a pipeline.
 *
 * @category models
 * @since 0.1.0
 */
export type PipelineInput = Pipeline | ReadonlyArray<NodeRef> | string | object

/**
 * The id a node gets when it names none: `${name}_${position}` as upstream's
 * `Pipeline.serialize()` writes, or `node_${position}`.
 */
const defaultId = (ref: NodeRef, position: number): string => {
  if (isManifestNode(ref)) return ref.id
  if (isSerializedInstance(ref)) return ref.id ?? `${ref.name}_${position}`
  if (isPythonInstance(ref)) return `${ref.name}_${position}`
  const explicit = ref.id
  if (typeof explicit === "string" && explicit !== "") return explicit
  return typeof ref.name === "string" && ref.name !== "" ? `${ref.name}_${position}` : `node_${position}`
}

const checkRef = (u: unknown): string | undefined => {
  if (isPythonInstance(u) || isManifestNode(u) || isSerializedInstance(u)) return undefined
  if (isTsNode(u)) {
    for (const hook of ["initialize", "cleanup"] as const) {
      const f = (u as unknown as Record<string, unknown>)[hook]
      if (f !== undefined && typeof f !== "function") return `'${hook}' must be a function when present`
    }
    return undefined
  }
  if (typeof u === "object" && u !== null && "process" in u) return "'process' is not a function"
  return "not a node: expected a TS node (object with process()), a Python instance or a manifest node"
}

/** Checks each node reference and gives ids to those without one; every invalid position and duplicate id is an issue. */
const place = (
  nodes: ReadonlyArray<unknown>,
  sourceIssue: (position: number) => string | undefined
): Effect.Effect<ReadonlyArray<PipelineNode>, InvalidPipelineInput> =>
  Effect.suspend(() => {
    const issues: Array<InputIssue> = []
    if (nodes.length === 0) {
      return Effect.fail(new InvalidPipelineInput({ summary: "A pipeline needs at least one node", issues }))
    }
    nodes.forEach((u, position) => {
      const reason = checkRef(u)
      if (reason) issues.push({ position, type: describeValue(u), reason })
    })
    if (issues.length > 0) {
      return Effect.fail(
        new InvalidPipelineInput({ summary: `${issues.length} invalid pipeline node(s)`, issues })
      )
    }
    const refs = nodes as ReadonlyArray<NodeRef>
    const seen = new Map<string, number>()
    const placed: Array<PipelineNode> = []
    refs.forEach((ref, position) => {
      const id = defaultId(ref, position)
      const first = seen.get(id)
      if (first !== undefined) {
        issues.push({ position, type: describeValue(ref), reason: `duplicate node id '${id}' (also at position ${first})` })
      }
      const misplaced = isTsNode(ref) && ref.isSource === true ? sourceIssue(position) : undefined
      if (misplaced !== undefined) issues.push({ position, type: describeValue(ref), reason: misplaced })
      seen.set(id, position)
      placed.push({ id, ref })
    })
    if (issues.length > 0) {
      return Effect.fail(new InvalidPipelineInput({ summary: "Invalid pipeline", issues }))
    }
    return Effect.succeed(placed)
  })

/**
 * Builds a chain from node references in order, checking each one and giving
 * ids to those without one. Every invalid position is reported, and so are
 * duplicate ids and a source node anywhere but first.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  nodes: ReadonlyArray<unknown>,
  options: { readonly name?: string | undefined } = {}
): Effect.Effect<Pipeline, InvalidPipelineInput> =>
  Effect.map(
    place(nodes, (position) => position > 0 ? "a source node takes no input, so it must come first" : undefined),
    (placed): Pipeline => ({ _tag: "Pipeline", name: options.name ?? "pipeline", nodes: placed })
  )

/**
 * Builds a graph pipeline: nodes (anything a node array may hold, each one
 * node; checked and given ids as by {@link make}) linked by connections
 * between their ids. Each downstream
 * node receives every output of each upstream node. Connections naming
 * unknown nodes, cycles (named) and connections into a source node are
 * rejected with every issue listed.
 *
 * @category constructors
 * @since 0.1.0
 */
export const graph = (
  nodes: ReadonlyArray<unknown>,
  connections: ReadonlyArray<Connection>,
  options: { readonly name?: string | undefined } = {}
): Effect.Effect<Pipeline, InvalidPipelineInput> =>
  Effect.flatMap(Effect.flatMap(expandItems(nodes, true), (items) => place(items, () => undefined)), (placed) =>
    checkConnections({
      _tag: "Pipeline",
      name: options.name ?? "pipeline",
      nodes: placed,
      connections: connections.map(({ from, to }) => ({ from, to }))
    }))

/** A pipeline value's connections, checked (one without connections is a chain and passes as it is). */
const checkConnections = (pipeline: Pipeline): Effect.Effect<Pipeline, InvalidPipelineInput> => {
  if (pipeline.connections === undefined) return Effect.succeed(pipeline)
  const { issues } = checkGraph(pipeline.nodes, pipeline.connections)
  return issues.length === 0
    ? Effect.succeed(pipeline)
    : Effect.fail(new InvalidPipelineInput({ summary: "Invalid pipeline connections", issues }))
}

const fromSpec = (spec: ManifestNodeSpec): NodeRef => {
  const { id, node_type, params, instance, ...extra } = spec
  if (instance !== undefined) {
    return serializedInstance({
      id,
      name: id,
      className: instance.class_name,
      bytes: Uint8Array.from(Buffer.from(instance.data, "base64"))
    })
  }
  return manifestNode(id, node_type ?? "", params, extra)
}

/**
 * Decodes a manifest (object or JSON string) into a pipeline: a chain when
 * its connections link all nodes into one, else a graph.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromManifest = (manifest: unknown): Effect.Effect<Pipeline, ManifestError | InvalidPipelineInput> =>
  Effect.flatMap(decodeManifest(manifest), ({ linear, manifest, ordered }) =>
    linear
      ? make(ordered.map(fromSpec), { name: manifest.metadata.name })
      : graph(ordered.map(fromSpec), manifest.connections ?? [], { name: manifest.metadata.name }))

const looksLikeManifest = (u: object): boolean => "version" in u && "nodes" in u

/**
 * Auto-detects what it is given and builds a pipeline from it (FR-004).
 *
 * @category constructors
 * @since 0.1.0
 */
export const normalize = (
  input: unknown,
  options: { readonly name?: string | undefined } = {}
): Effect.Effect<Pipeline, InvalidPipelineInput | ManifestError> =>
  Effect.suspend((): Effect.Effect<Pipeline, InvalidPipelineInput | ManifestError> => {
    if (isPipeline(input)) return checkConnections(input)
    if (Array.isArray(input)) return expandNodes(input, options)
    if (typeof input === "string") return fromManifest(input)
    const resolver = resolvers().find((r) => r.canResolve(input))
    if (resolver) {
      return Effect.flatMap(resolver.resolve(input), (r) => expandNodes(r.nodes, { name: options.name ?? r.name }))
    }
    if (isPythonInstance(input) || isSerializedInstance(input) || isManifestNode(input) || isTsNode(input)) {
      return make([input], options)
    }
    if (typeof input === "object" && input !== null && looksLikeManifest(input)) return fromManifest(input)
    return Effect.fail(
      new InvalidPipelineInput({
        summary: "Cannot build a pipeline from this input",
        issues: [{
          position: 0,
          type: describeValue(input),
          reason:
            "expected a Pipeline, an array of nodes, a manifest object or JSON string, or a Python Pipeline/Node handle"
        }]
      })
    )
  })

/**
 * Array elements may themselves be resolvable (e.g. a Python Node handle a
 * resolver rewrites); plain manifest node specs (`{id, node_type, params}`)
 * are accepted too, as upstream's mixed lists allow.
 */
const expandNodes = (
  items: ReadonlyArray<unknown>,
  options: { readonly name?: string | undefined }
): Effect.Effect<Pipeline, InvalidPipelineInput> => Effect.flatMap(expandItems(items, false), (out) => make(out, options))

/** Resolvable elements resolved (in a graph, each to exactly one node, as connections name it), plain node specs made manifest nodes. */
const expandItems = (
  items: ReadonlyArray<unknown>,
  single: boolean
): Effect.Effect<ReadonlyArray<unknown>, InvalidPipelineInput> =>
  Effect.gen(function*() {
    const out: Array<unknown> = []
    for (const [position, item] of items.entries()) {
      const resolver = isTsNode(item) || isPythonInstance(item) ? undefined : resolvers().find((r) => r.canResolve(item))
      if (resolver) {
        const resolved = yield* resolver.resolve(item).pipe(
          Effect.mapError((e) =>
            new InvalidPipelineInput({ summary: e.summary, issues: e.issues.map((i) => ({ ...i, position })) })
          )
        )
        if (single && resolved.nodes.length !== 1) {
          return yield* new InvalidPipelineInput({
            summary: "Invalid graph node",
            issues: [{
              position,
              type: describeValue(item),
              reason: `a graph node must be one node, this is ${resolved.nodes.length} (list a pipeline's nodes and connect them instead)`
            }]
          })
        }
        out.push(...resolved.nodes)
      }
      else if (isNodeSpec(item)) {
        const { id, node_type, params, ...extra } = item
        if (!isNodeId(id)) {
          return yield* new InvalidPipelineInput({
            summary: "Invalid pipeline node",
            issues: [{ position: out.length, type: describeValue(item), reason: `node id '${item.id}' must match ^[a-zA-Z0-9_-]+$` }]
          })
        }
        out.push(manifestNode(id, node_type, params ?? {}, extra))
      }
      else out.push(item)
    }
    return out
  })

const isNodeId = Schema.is(NodeId)

const isNodeSpec = (
  u: unknown
): u is { id: string; node_type: string; params?: { readonly [key: string]: unknown }; [extra: string]: unknown } =>
  typeof u === "object" && u !== null && !("_tag" in u) &&
  typeof (u as { id?: unknown }).id === "string" && typeof (u as { node_type?: unknown }).node_type === "string"
