/**
 * PythonInput: pipelines made of Python objects. Registers core's
 * `InputResolver` for Python object handles, so an entry point (or an element
 * of a node array) may be a Python `remotemedia.Pipeline` (its nodes are
 * taken in order, FR-009) or a Python node. Each node is checked first
 * (FR-010: a `remotemedia.Node`, or an object with callable `process` and
 * `initialize`) and becomes a {@link PythonNode}: core's `PythonInstance`
 * holding the very object, which the in-process transport runs as is and
 * the subprocess transports pickle.
 *
 * Importing `@remotemedia/python-bridge` registers the resolver.
 *
 * @since 0.1.0
 */
import { InvalidPipelineInput, NodeRef, Pipeline } from "@remotemedia/core"
import { Effect } from "effect"
import { start } from "./Interpreter.js"
import { isPyObject, type PyObject } from "./PyObject.js"
import { callJs, runtimeHost } from "./RuntimeHost.js"

/**
 * The key under which a {@link PythonNode} holds its Python object; shared
 * through the global symbol registry so other transports (which pickle the
 * object) can find it without importing this package.
 *
 * @category symbols
 * @since 0.1.0
 */
export const PythonObjectKey: unique symbol = Symbol.for("@remotemedia/PythonInstance/object")

/**
 * A live Python node, as core's `PythonInstance`.
 *
 * @category models
 * @since 0.1.0
 */
export class PythonNode implements NodeRef.PythonInstance {
  readonly [NodeRef.PythonInstanceTypeId]: typeof NodeRef.PythonInstanceTypeId = NodeRef.PythonInstanceTypeId
  readonly [PythonObjectKey]: PyObject
  constructor(
    /** The Python object itself. */
    object: PyObject,
    /** Its `name`. */
    readonly name: string,
    /** `module.QualName` of its class. */
    readonly className: string,
    /** Whether it is a source (`is_source`): `process()` takes no input. */
    readonly isSource: boolean
  ) {
    this[PythonObjectKey] = object
  }
  /** The Python object itself. */
  get object(): PyObject {
    return this[PythonObjectKey]
  }
}

/**
 * The Python object behind a `PythonInstance`: a {@link PythonNode}'s, or the
 * reference itself when it is a Python object handle.
 *
 * @category getters
 * @since 0.1.0
 */
export const pythonObject = (ref: NodeRef.PythonInstance): PyObject | undefined => {
  if (isPyObject(ref)) return ref
  const object = (ref as { readonly [PythonObjectKey]?: unknown })[PythonObjectKey]
  return isPyObject(object) ? object : undefined
}

interface NodeInfo {
  readonly node: PyObject
  readonly name: string
  readonly class_name: string
  readonly is_source: boolean
  readonly problem: string | null
}

type Resolved =
  | { readonly kind: "pipeline"; readonly name: string; readonly nodes: ReadonlyArray<NodeInfo> }
  | ({ readonly kind: "node" } & NodeInfo)

/**
 * Turns a Python object handle into node references, or fails naming every
 * object that cannot run as a node.
 *
 * @category resolving
 * @since 0.1.0
 */
export const resolve = (input: unknown): Effect.Effect<
  { readonly name?: string | undefined; readonly nodes: ReadonlyArray<PythonNode> },
  InvalidPipelineInput
> =>
  Effect.gen(function*() {
    if (!isPyObject(input)) {
      return yield* new InvalidPipelineInput({
        summary: "Not a Python object",
        issues: [{ position: 0, type: NodeRef.describeValue(input), reason: "expected a Python object handle" }]
      })
    }
    const resolved = yield* Effect.tryPromise({
      try: async () => callJs<Resolved>(await runtimeHost(start()), "resolve_input", [input]),
      catch: (cause) =>
        new InvalidPipelineInput({
          summary: "Cannot inspect the Python object",
          issues: [{ position: 0, type: `PythonObject(${input.typeName})`, reason: String(cause) }]
        })
    })
    const infos = resolved.kind === "pipeline" ? resolved.nodes : [resolved]
    const issues = infos.flatMap((info, position) =>
      info.problem === null ? [] : [{ position, type: `PythonObject(${info.class_name})`, reason: info.problem }]
    )
    if (issues.length > 0) {
      const summary = resolved.kind === "pipeline"
        ? `Python pipeline '${resolved.name}' holds ${issues.length} invalid node(s)`
        : "Invalid Python node"
      return yield* new InvalidPipelineInput({ summary, issues })
    }
    if (resolved.kind === "pipeline" && infos.length === 0) {
      return yield* new InvalidPipelineInput({ summary: `Python pipeline '${resolved.name}' has no nodes`, issues: [] })
    }
    return {
      name: resolved.kind === "pipeline" ? resolved.name : undefined,
      // A single node keeps the caller's own handle.
      nodes: infos.map((i) => new PythonNode(resolved.kind === "node" ? input : i.node, i.name, i.class_name, i.is_source))
    }
  })

/**
 * The resolver registered with core when this package is imported.
 *
 * @category resolving
 * @since 0.1.0
 */
export const resolver: Pipeline.InputResolver = {
  name: "@remotemedia/python-bridge/PythonInput",
  canResolve: isPyObject,
  resolve
}

Pipeline.registerInputResolver(resolver)
