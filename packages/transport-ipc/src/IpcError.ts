/**
 * IpcError: what can go wrong between the parent and a worker. These are the
 * `cause`s inside core's `NodeInitializeError`, `NodeProcessError` and
 * `NodeCleanupError` besides core's `PythonError` (a node's own Python
 * exception, the same class on every transport): a worker that crashed or
 * could not start, a broken protocol, an item that overran its time limit.
 * Schema-backed, so they survive encoding.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The worker process ended while it still had work: killed by a signal, or
 * exited. Carries the exit code or signal and the last lines it wrote to
 * stderr. On transport-ray, also a Ray actor that died (`actor`, `host`
 * set; `stderrTail` is then Ray's account of the death).
 *
 * @category errors
 * @since 0.1.0
 */
export class WorkerCrashed extends Schema.TaggedError<WorkerCrashed>()("WorkerCrashed", {
  pid: Schema.Number,
  /** The nodes the worker ran. */
  nodeIds: Schema.Array(Schema.String),
  exitCode: Schema.NullOr(Schema.Number),
  /** e.g. `SIGKILL`. */
  signal: Schema.NullOr(Schema.String),
  /** The last lines of the worker's stderr, oldest first. */
  stderrTail: Schema.Array(Schema.String),
  /** What the parent was waiting for. */
  during: Schema.String,
  /** A Ray actor that died (transport-ray): its id (hex). The nodes are those it ran, the pid its process's (0 if unknown). */
  actor: Schema.optional(Schema.String),
  /** The IP of the host a dead Ray actor ran on. */
  host: Schema.optional(Schema.String)
}) {
  override get message(): string {
    if (this.actor !== undefined) {
      return `Ray actor ${this.actor} on host ${this.host ?? "(unknown)"} (nodes ${this.nodeIds.join(", ")}, pid ${this.pid}) ` +
        `died during ${this.during}: ${this.stderrTail.join("\n")}`
    }
    const how = this.signal !== null ? `was killed by ${this.signal}` : `exited with code ${this.exitCode}`
    const tail = this.stderrTail.length > 0 ? `; last stderr lines:\n  ${this.stderrTail.join("\n  ")}` : "; stderr was empty"
    return `Python worker ${this.pid} (nodes ${this.nodeIds.join(", ")}) ${how} during ${this.during}${tail}`
  }
}

/**
 * The worker could not be started: the interpreter is missing, it exited
 * before saying hello (e.g. `remotemedia` is not installed in it), or it
 * speaks another protocol version.
 *
 * @category errors
 * @since 0.1.0
 */
export class WorkerStartError extends Schema.TaggedError<WorkerStartError>()("WorkerStartError", {
  command: Schema.Array(Schema.String),
  detail: Schema.String,
  stderrTail: Schema.Array(Schema.String)
}) {
  override get message(): string {
    const tail = this.stderrTail.length > 0 ? `; last stderr lines:\n  ${this.stderrTail.join("\n  ")}` : ""
    return `Cannot start Python worker (${this.command.join(" ")}): ${this.detail}${tail}`
  }
}

/**
 * One side broke the worker protocol (a truncated or malformed frame, an
 * unknown message, a reply that does not match its request). The worker is
 * stopped.
 *
 * @category errors
 * @since 0.1.0
 */
export class ProtocolError extends Schema.TaggedError<ProtocolError>()("ProtocolError", {
  pid: Schema.Number,
  /** `worker` when the worker reported it about our frames, `parent` when we found it in the worker's. */
  detectedBy: Schema.Literals(["worker", "parent"]),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detectedBy === "parent"
      ? `Protocol error from Python worker ${this.pid}: ${this.detail}`
      : `Python worker ${this.pid} rejected a frame: ${this.detail}`
  }
}

/**
 * An item took longer than the `itemTimeout` option; the worker was stopped.
 *
 * @category errors
 * @since 0.1.0
 */
export class ItemTimeout extends Schema.TaggedError<ItemTimeout>()("ItemTimeout", {
  nodeId: Schema.String,
  itemIndex: Schema.NullOr(Schema.Number),
  timeoutMs: Schema.Number
}) {
  override get message(): string {
    const item = this.itemIndex === null ? "an item" : `item ${this.itemIndex}`
    return `Node '${this.nodeId}' did not finish ${item} within ${this.timeoutMs} ms; its worker was stopped`
  }
}

/**
 * A node's cleanup did not finish in time (its worker was still busy, or
 * stuck); the worker was killed.
 *
 * @category errors
 * @since 0.1.0
 */
export class CleanupTimeout extends Schema.TaggedError<CleanupTimeout>()("CleanupTimeout", {
  nodeId: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message(): string {
    return `Cleanup of node '${this.nodeId}' did not finish within ${this.timeoutMs} ms; its worker was killed`
  }
}
