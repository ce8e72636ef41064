/**
 * Control: the control channel of a standalone caller (PROTOCOL.md,
 * "Standalone callers"): the messages it carries, the check of a request,
 * how a request's pipeline becomes core's pipeline input, and how a failed
 * run is reported (the error, its cause chain's tags, the Python exception
 * found along it).
 *
 * @since 0.1.0
 */
import type { RuntimeData } from "@remotemedia/core"
import { liveRef } from "./Attached.js"
import { PROTOCOL_VERSION } from "./Protocol.js"

/**
 * A request from the caller.
 *
 * @category models
 * @since 0.1.0
 */
export type ControlRequest =
  | {
    readonly op: "run"
    readonly seq: number
    readonly pipeline: unknown
    /** The items; nil runs the pipeline once without input (a source produces the items, else the first node gets `""`). */
    readonly inputs: ReadonlyArray<RuntimeData.RuntimeData> | null
    readonly transport: string | null | undefined
  }
  | { readonly op: "shutdown"; readonly seq: number }
  | { readonly op: "cancel"; readonly seq: number; readonly target: number }

/**
 * The Python exception of a failed run, as the caller re-raises it.
 *
 * @category models
 * @since 0.1.0
 */
export interface PythonFailure {
  readonly type: string
  readonly module: string
  readonly message: string
  readonly traceback: string
  /** The caller's id of the exception object, when one of its own nodes raised it. */
  readonly exception: number | null
}

/**
 * The `error` reply of a failed run (without `op` and `seq`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure {
  readonly name: string
  readonly message: string
  readonly stack: string
  readonly details: { readonly [key: string]: unknown }
  readonly python: PythonFailure | null
}

/**
 * The first message on the control channel.
 *
 * @category constructors
 * @since 0.1.0
 */
export const hello = (runtime: string) => ({ op: "hello", protocol: PROTOCOL_VERSION, runtime, node: process.version })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isSeq = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0

/**
 * Checks a decoded request; returns why it is invalid, or undefined.
 *
 * @category validation
 * @since 0.1.0
 */
export const invalidRequest = (u: unknown): string | undefined => {
  if (!isRecord(u)) return "a message must be a map"
  if (!isSeq(u["seq"])) return `message ${JSON.stringify(u["op"])} lacks an integer 'seq'`
  if (u["op"] === "shutdown") return undefined
  if (u["op"] === "cancel") return isSeq(u["target"]) ? undefined : "'cancel' needs an integer 'target'"
  if (u["op"] !== "run") return `unknown message op ${JSON.stringify(u["op"])}`
  if (!Array.isArray(u["inputs"]) && u["inputs"] !== null) return "'run' needs 'inputs' (an array, or nil to run without input)"
  const transport = u["transport"]
  if (transport !== undefined && transport !== null && typeof transport !== "string") return "'run' field 'transport' must be a string or nil"
  const pipeline = u["pipeline"]
  if (!isRecord(pipeline) || (!isRecord(pipeline["manifest"]) && !Array.isArray(pipeline["nodes"]))) {
    return "'run' field 'pipeline' must be {manifest: map} or {nodes: array, name}"
  }
  return undefined
}

/**
 * What core's executor takes for a request's pipeline: the manifest, or the
 * nodes (caller-owned ones as live references) and the pipeline's name.
 *
 * @category decoding
 * @since 0.1.0
 */
export const pipelineInput = (pipeline: unknown): { readonly input: unknown; readonly name: string | undefined } => {
  const p = pipeline as Record<string, unknown>
  if (isRecord(p["manifest"])) return { input: p["manifest"], name: undefined }
  const nodes = (p["nodes"] as ReadonlyArray<unknown>).map((n) =>
    isRecord(n) && typeof n["live"] === "number"
      ? liveRef(n["live"], typeof n["name"] === "string" ? n["name"] : "node", typeof n["class_name"] === "string" ? n["class_name"] : "unknown")
      : n
  )
  return { input: nodes, name: typeof p["name"] === "string" ? p["name"] : undefined }
}

const tagOf = (e: unknown): string => {
  if (isRecord(e) && typeof e["_tag"] === "string") return e["_tag"]
  return e instanceof Error ? e.name : typeof e
}

/** Fields of an error that say where and what, copied into `details`. */
const omitted = new Set(["_tag", "name", "message", "stack", "cause", "traceback"])

/**
 * Describes a run's failure: its name, message and stack; `details` holds the
 * plain fields of every error of the cause chain (the outermost first wins:
 * `nodeId`, `itemIndex`, `pid`, ...) and `causes`, the chain's tags
 * outermost first; `python` the first Python exception along the chain.
 *
 * @category encoding
 * @since 0.1.0
 */
export const describeFailure = (error: unknown): Failure => {
  const chain: Array<unknown> = []
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 32; e = isRecord(e) || e instanceof Error ? (e as { cause?: unknown }).cause : undefined) {
    chain.push(e)
  }
  const details: Record<string, unknown> = {}
  for (const e of chain) {
    if (!isRecord(e)) continue
    for (const [key, value] of Object.entries(e)) {
      if (omitted.has(key) || key in details) continue
      if (value === null || ["string", "number", "boolean"].includes(typeof value)) details[key] = value
      else if (Array.isArray(value) && value.every((v) => typeof v === "string")) details[key] = value
    }
  }
  details["causes"] = chain.map(tagOf)
  const py = chain.find((e) => tagOf(e) === "PythonError") as
    | { pyType: string; pyModule: string; pyMessage: string; traceback: string; exception?: unknown }
    | undefined
  return {
    name: tagOf(error),
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack ?? "" : "",
    details,
    python: py === undefined ? null : {
      type: py.pyType,
      module: py.pyModule,
      message: py.pyMessage,
      traceback: py.traceback,
      exception: typeof py.exception === "number" ? py.exception : null
    }
  }
}
