/**
 * Protocol: the messages of the worker protocol (version 1), as
 * `python/remotemedia/worker/PROTOCOL.md` specifies them, and the checks a
 * reply from the worker must pass before it is trusted.
 *
 * @since 0.1.0
 */
import type { RuntimeData } from "@remotemedia/core"

/**
 * The protocol version this client speaks.
 *
 * @category constants
 * @since 0.1.0
 */
export const PROTOCOL_VERSION = 1

/**
 * The first message a worker sends.
 *
 * @category models
 * @since 0.1.0
 */
export interface Hello {
  readonly op: "hello"
  readonly protocol: number
  readonly pid: number
  readonly python: string
  readonly cloudpickle: string
  readonly msgpack: string
  /** numpy's version, or null when the worker had not imported numpy yet when it said hello. */
  readonly numpy: string | null
  readonly remotemedia: string
  /** The worker's iceoryx2 version, when it opened a shared-memory payload channel (`--shm`). */
  readonly iceoryx2?: string | undefined
  /** Ray's version, when the worker is a Ray driver (`--ray`). */
  readonly ray?: string | undefined
  /** The address of the Ray cluster the driver connected to. */
  readonly ray_address?: string | undefined
  /** How many nodes of that cluster were alive when it connected. */
  readonly ray_nodes?: number | undefined
}

/**
 * Requests, without their `seq` (added when sent).
 *
 * @category models
 * @since 0.1.0
 */
export type Request =
  | {
    readonly op: "load_manifest"
    readonly slot: number
    readonly node_id: string
    readonly node_type: string
    readonly params: { readonly [key: string]: unknown }
  }
  | { readonly op: "load_instance"; readonly slot: number; readonly node_id: string; readonly class_name: string; readonly data: Uint8Array }
  /** A standalone caller's own object, registered by it as `ref` for the run (PROTOCOL.md, "Standalone callers"). */
  | { readonly op: "load_live"; readonly slot: number; readonly node_id: string; readonly ref: number }
  | {
    readonly op: "process"
    readonly slots: ReadonlyArray<number>
    readonly items: ReadonlyArray<RuntimeData.RuntimeData>
    readonly first_index: number
    readonly timed?: boolean | undefined
    readonly item_timeout_ms?: number | undefined
  }
  | {
    readonly op: "pull"
    readonly slots: ReadonlyArray<number>
    readonly max_items: number
    readonly max_wait_ms?: number | undefined
    readonly timed?: boolean | undefined
    readonly item_timeout_ms?: number | undefined
  }
  | { readonly op: "end"; readonly slots: ReadonlyArray<number> }
  | { readonly op: "cancel"; readonly target: number }
  | { readonly op: "cleanup"; readonly slot: number; readonly return_state?: boolean | undefined }
  | { readonly op: "shutdown" }

/**
 * The phases an `error` reply names. `crashed`: a Ray driver's actor (the
 * process running the node, on some cluster node) died.
 *
 * @category models
 * @since 0.1.0
 */
export type Phase = "load" | "initialize" | "process" | "cleanup" | "timeout" | "cancelled" | "protocol" | "crashed"

/**
 * An `error` reply.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorReply {
  readonly op: "error"
  readonly seq: number | null
  readonly phase: Phase
  readonly node_id: string | null
  readonly type: string
  readonly module?: string | undefined
  readonly message: string
  readonly traceback: string
  readonly index: number | null
  readonly outputs?: ReadonlyArray<RuntimeData.RuntimeData> | undefined
  readonly done?: boolean | undefined
  /** A standalone caller's id of the exception a live object raised (kept by the caller). */
  readonly exception?: number | null | undefined
  /** `crashed`: the id of the Ray actor that died (hex). */
  readonly actor?: string | undefined
  /** `crashed`: the IP of the host it ran on. */
  readonly host?: string | undefined
  /** `crashed`: the id of the Ray node it ran on (hex). */
  readonly ray_node?: string | undefined
  /** `crashed`: the actor's process id, when known. */
  readonly pid?: number | null | undefined
}

/**
 * Replies to requests.
 *
 * @category models
 * @since 0.1.0
 */
export type Reply =
  | {
    readonly op: "loaded"
    readonly seq: number
    readonly slot: number
    readonly node_id: string
    readonly name: string
    readonly class_name: string
    readonly is_source: boolean
  }
  | {
    readonly op: "result"
    readonly seq: number
    readonly outputs: ReadonlyArray<RuntimeData.RuntimeData>
    readonly times?: { readonly [nodeId: string]: ReadonlyArray<number> } | undefined
    readonly done?: boolean | undefined
  }
  | { readonly op: "ok"; readonly seq: number; readonly state?: Uint8Array | undefined }
  | ErrorReply

const phases: ReadonlySet<string> = new Set(["load", "initialize", "process", "cleanup", "timeout", "cancelled", "protocol", "crashed"])

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)
const isOptional = (u: unknown, check: (v: unknown) => boolean) => u === undefined || u === null || check(u)

/**
 * Checks a decoded message from the worker; returns why it is invalid, or
 * undefined when it is a valid `hello` or reply.
 *
 * @category validation
 * @since 0.1.0
 */
export const invalidReason = (u: unknown): string | undefined => {
  if (!isRecord(u)) return `a message must be a map, got ${Array.isArray(u) ? "an array" : typeof u}`
  const op = u["op"]
  const need = (field: string, check: (v: unknown) => boolean, what: string) =>
    check(u[field]) ? undefined : `'${String(op)}' message has an invalid '${field}' (expected ${what})`
  if (op === "hello") return need("protocol", isInt, "an integer") ?? need("pid", isInt, "an integer")
  if (op === "error") {
    return need("seq", (v) => v === null || isInt(v), "an integer or nil") ??
      need("phase", (v) => typeof v === "string" && phases.has(v), "a known phase") ??
      need("type", (v) => typeof v === "string", "a string") ??
      need("module", (v) => isOptional(v, (x) => typeof x === "string"), "a string") ??
      need("message", (v) => typeof v === "string", "a string") ??
      need("traceback", (v) => typeof v === "string", "a string") ??
      need("index", (v) => isOptional(v, isInt), "an integer or nil") ??
      need("node_id", (v) => isOptional(v, (x) => typeof x === "string"), "a string or nil") ??
      need("outputs", (v) => isOptional(v, Array.isArray), "an array") ??
      need("exception", (v) => isOptional(v, isInt), "an integer or nil") ??
      need("actor", (v) => isOptional(v, (x) => typeof x === "string"), "a string") ??
      need("host", (v) => isOptional(v, (x) => typeof x === "string"), "a string") ??
      need("ray_node", (v) => isOptional(v, (x) => typeof x === "string"), "a string") ??
      need("pid", (v) => isOptional(v, isInt), "an integer or nil")
  }
  const seq = need("seq", isInt, "an integer")
  if (seq !== undefined) return seq
  switch (op) {
    case "loaded":
      return need("slot", isInt, "an integer") ?? need("node_id", (v) => typeof v === "string", "a string") ??
        need("is_source", (v) => typeof v === "boolean", "a boolean")
    case "result":
      return need("outputs", Array.isArray, "an array") ?? need("times", (v) => isOptional(v, isRecord), "a map")
    case "ok":
      return need("state", (v) => isOptional(v, (x) => x instanceof Uint8Array), "bytes")
    default:
      return `unknown message op ${JSON.stringify(op)}`
  }
}
