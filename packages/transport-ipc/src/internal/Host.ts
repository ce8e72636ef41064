/**
 * Host: this process as the runtime of a standalone Python caller (PROTOCOL.md,
 * "Standalone callers"). It attaches to the caller's worker, says `hello` on
 * the control channel, and runs each `run` request with core's executor on a
 * {@link Composite} transport (the caller's own nodes in the caller, other
 * Python nodes on the selected transport), several at a time, each answered
 * by its `seq`. It ends after `shutdown`, at the end of the control channel,
 * or when the parent process is gone — interrupting runs in flight, so every
 * node is cleaned up.
 *
 * @since 0.1.0
 */
import { Socket } from "node:net"
import { Executor, TransportSelection } from "@remotemedia/core"
import { Cause, Effect, Exit, Fiber } from "effect"
import { AttachedWorker } from "./Attached.js"
import { Channel } from "./Channel.js"
import * as Composite from "./Composite.js"
import * as Control from "./Control.js"

/**
 * The channels, as file descriptors of this process, and what `hello` says.
 *
 * @category models
 * @since 0.1.0
 */
export interface HostOptions {
  /** Control requests from the caller (read). */
  readonly controlIn: number
  /** Control replies to the caller (written). */
  readonly controlOut: number
  /** Worker requests to the caller (written). */
  readonly workerOut: number
  /** Worker replies from the caller (read). */
  readonly workerIn: number
  /** The runtime's version, for `hello`. */
  readonly runtime: string
  /** How long the caller's worker may take to say hello (ms). Default 30 000. */
  readonly attachTimeoutMs?: number | undefined
}

const reader = (fd: number) => new Socket({ fd, readable: true, writable: false })
const writer = (fd: number) => new Socket({ fd, readable: false, writable: true })

/**
 * Serves the caller until it is done; resolves to the exit status: 0 after
 * `shutdown`, the end of the control channel or the parent's death, 2 after a
 * protocol error, 1 when the caller's worker never attached.
 *
 * @category serving
 * @since 0.1.0
 */
export const serve = async (options: HostOptions): Promise<number> => {
  const worker = await Effect.runPromise(
    AttachedWorker.attach(writer(options.workerOut), reader(options.workerIn), options.attachTimeoutMs ?? 30_000).pipe(
      Effect.map((w): AttachedWorker | string => w),
      Effect.catch((e) => Effect.succeed(e.message))
    )
  )
  if (typeof worker === "string") {
    process.stderr.write(`remotemedia host: ${worker}\n`)
    return 1
  }
  return new Promise<number>((resolve) => {
    const runs = new Map<number, Fiber.Fiber<void>>()
    let stopping = false
    const finish = async (status: number, reply?: () => void) => {
      if (stopping) return
      stopping = true
      clearInterval(watch)
      await Effect.runPromise(Effect.andThen(Fiber.interruptAll(runs.values()), worker.shutdown()))
      reply?.()
      control.close()
      resolve(status)
    }
    const control = new Channel(reader(options.controlIn), writer(options.controlOut), {
      message: (message) => {
        if (stopping) return
        const invalid = Control.invalidRequest(message)
        if (invalid !== undefined) {
          const seq = (message as { seq?: unknown } | null)?.seq
          process.stderr.write(`remotemedia host: protocol error: ${invalid}\n`)
          send({ op: "error", seq: typeof seq === "number" ? seq : null, ...protocolFailure(invalid) })
          return void finish(2)
        }
        const request = message as Control.ControlRequest
        if (request.op === "shutdown") {
          // Runs in flight finish first (their replies go out); then the caller's worker is told to end.
          void Effect.runPromise(Fiber.awaitAll(runs.values())).then(() => finish(0, () => send({ op: "ok", seq: request.seq })))
          return
        }
        if (request.op === "cancel") {
          // The caller stopped waiting: the run is interrupted (its nodes cleaned up, no reply), then `ok`.
          const target = runs.get(request.target)
          void (target === undefined ? Promise.resolve() : Effect.runPromise(Fiber.interrupt(target)))
            .then(() => send({ op: "ok", seq: request.seq }))
          return
        }
        const fiber = Effect.runFork(run(worker, request, send))
        runs.set(request.seq, fiber)
        fiber.addObserver(() => runs.delete(request.seq))
      },
      end: (problem) => {
        if (problem !== undefined) process.stderr.write(`remotemedia host: control channel: ${problem}\n`)
        void finish(problem === undefined ? 0 : 2)
      }
    })
    const send = (message: Record<string, unknown>) => {
      try {
        control.send(message)
      } catch (e) {
        // Outputs that cannot be encoded: the run fails with that instead.
        control.send({ op: "error", seq: message["seq"], ...Control.describeFailure(e) })
      }
    }
    const parent = process.ppid
    const watch = setInterval(() => {
      if (process.ppid !== parent) void finish(0)
    }, 500)
    watch.unref()
    send(Control.hello(options.runtime))
  })
}

const protocolFailure = (detail: string): Control.Failure => ({
  name: "ProtocolError",
  message: detail,
  stack: "",
  details: { causes: ["ProtocolError"] },
  python: null
})

/** One `run`: executes it and sends its `outputs` or `error`. */
const run = (
  worker: AttachedWorker,
  request: Extract<Control.ControlRequest, { op: "run" }>,
  send: (message: Record<string, unknown>) => void
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const selection = yield* TransportSelection.select({ transport: request.transport ?? undefined })
    const { input, name } = Control.pipelineInput(request.pipeline)
    const options = { transport: Composite.make(worker, selection), name }
    return yield* (request.inputs === null
      ? Executor.executePipeline(input, options)
      : Executor.executePipelineWithInput(input, request.inputs, options))
  }).pipe(
    Effect.exit,
    Effect.map((exit) => {
      if (Exit.isSuccess(exit)) return send({ op: "outputs", seq: request.seq, outputs: exit.value })
      if (Cause.hasInterruptsOnly(exit.cause)) return // the host is stopping: nobody waits for the reply
      send({ op: "error", seq: request.seq, ...Control.describeFailure(Cause.squash(exit.cause)) })
    })
  )
