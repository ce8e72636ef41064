/**
 * WorkerProcess: one `python -m remotemedia.worker` subprocess and its
 * channel. Spawns it with two dedicated channels (fd 3: requests, a pipe;
 * fd 4: replies, a Unix socket read straight into frame buffers, see
 * {@link SocketPair}), waits for `hello`, sends requests and matches replies by `seq`,
 * turns its stderr into log records (keeping the last lines for crash
 * reports), and notices at once when it dies: every request in flight then
 * fails with `WorkerCrashed` (exit code or signal, last stderr lines).
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn as spawnChild } from "node:child_process"
import type { Socket } from "node:net"
import type { Writable } from "node:stream"
import { Effect } from "effect"
import { type Blobs, Codec, CodecError } from "./Codec.js"
import { DEFAULT_MAX_FRAME_BYTES, decodeBody, FrameDecoder, FrameEncoder } from "./Framing.js"
import { ProtocolError, WorkerCrashed, WorkerStartError } from "../IpcError.js"
import { type Hello, invalidReason, PROTOCOL_VERSION, type Reply, type Request } from "./Protocol.js"
import { Requests } from "./Requests.js"
import * as SocketPair from "./SocketPair.js"

/**
 * How to start a worker.
 *
 * @category models
 * @since 0.1.0
 */
export interface SpawnOptions {
  /** The interpreter. */
  readonly python: string
  /** Arguments after the interpreter; default `-m remotemedia.worker` plus the protocol flags. */
  readonly command?: ReadonlyArray<string> | undefined
  /** Extra worker flags (`--import`, `--allow-module`, ...). */
  readonly workerArgs?: ReadonlyArray<string> | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly cwd?: string | undefined
  /** The nodes it will run, for messages. */
  readonly nodeIds: ReadonlyArray<string>
  /** Lines of stderr kept for crash reports. */
  readonly stderrTailLines: number
  /** How long the worker may take to say hello. */
  readonly startTimeoutMs: number
  /** Called with each stderr line as it arrives. */
  readonly onStderrLine?: ((line: string, pid: number) => void) | undefined
  /**
   * The cap on a frame body, both ways (default 1 GiB): a reply announcing
   * more is a protocol error, a request that would be longer fails to encode,
   * and the worker gets it as `--max-frame-bytes`.
   */
  readonly maxFrameBytes?: number | undefined
  /** Opens a payload channel beside the frames for each worker started (e.g. shared memory). */
  readonly payloads?: (() => PayloadLink) | undefined
}

/**
 * A payload channel between the parent and one worker (see {@link Blobs}):
 * opened before the worker starts, told to it by `args`, checked against its
 * `hello`, closed once its process has exited.
 *
 * @category models
 * @since 0.1.0
 */
export interface PayloadLink extends Blobs {
  /** Worker flags that tell it how to open its end. */
  readonly args: ReadonlyArray<string>
  /** Why the worker that said `hello` cannot use the link (e.g. another version), if it cannot. */
  check(hello: Hello): string | undefined
  /** Releases the link's resources; called once, after the worker's process exited (or never started). */
  close(): void
}

/**
 * A running worker.
 *
 * @category models
 * @since 0.1.0
 */
export class Worker {
  private readonly inFlight: Requests<WorkerCrashed | ProtocolError>
  private readonly tail: Array<string> = []
  private failure: WorkerCrashed | ProtocolError | undefined
  private exit: { readonly code: number | null; readonly signal: string | null } | undefined
  private readonly exitWaiters: Array<() => void> = []
  private expectingExit = false
  private truncated: string | undefined
  private onHello: ((hello: Hello | WorkerStartError) => void) | undefined
  private readonly codec: Codec
  private readonly frames: FrameEncoder
  private readonly requests: Writable
  /** The nodes it runs now, for messages (a pooled worker gets new ones per run). */
  private nodeIds: ReadonlyArray<string>
  private onStderrLine: ((line: string, pid: number) => void) | undefined
  /** The worker's `hello`, once received. */
  hello: Hello | undefined

  private constructor(
    private readonly child: ChildProcess,
    private readonly replies: Socket,
    private readonly decoder: FrameDecoder,
    private readonly options: SpawnOptions,
    readonly command: ReadonlyArray<string>,
    private link: PayloadLink | undefined
  ) {
    this.codec = new Codec(link)
    this.frames = new FrameEncoder(this.codec, decoder.maxFrameBytes)
    this.inFlight = new Requests((message) => this.write(this.frames.encode(message)))
    this.nodeIds = options.nodeIds
    this.onStderrLine = options.onStderrLine
    const requests = this.requests = child.stdio[3] as Writable
    requests.on("error", () => {}) // EPIPE after a crash: reported through "exit"
    const ended = () => {
      this.repliesEnded = true
      this.release()
      try {
        decoder.end()
      } catch (e) {
        // Cut short by a crash (a signal) or by a worker that wrote half a frame and exited:
        // the exit status decides which it was.
        this.truncated = (e as Error).message
        if (this.exit !== undefined && this.exit.signal === null) this.protocolViolation(this.truncated)
      }
    }
    replies.on("end", ended)
    replies.on("error", ended) // a reset is an end too: the exit status tells what happened
    let partial = ""
    child.stderr!.setEncoding("utf8")
    child.stderr!.on("data", (text: string) => {
      const lines = (partial + text).split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) this.line(line)
    })
    child.stderr!.on("end", () => {
      if (partial !== "") this.line(partial)
      partial = ""
    })
    child.on("exit", (code, signal) => this.exited(code, signal))
  }

  /** The worker's process id. */
  get pid(): number {
    return this.hello?.pid ?? this.child.pid ?? -1
  }

  /** Whether the process is still running and the channel usable. */
  get alive(): boolean {
    return this.exit === undefined && this.failure === undefined
  }

  /**
   * Whether nothing is in flight: every request sent (abandoned ones and
   * their cancels included) has been answered.
   */
  get quiescent(): boolean {
    return this.inFlight.quiescent
  }

  /**
   * Hands the worker to new nodes (a pooled worker starting a run): messages
   * and log records name them, and the stderr lines kept for crash reports
   * start afresh.
   */
  assign(nodeIds: ReadonlyArray<string>, onStderrLine: ((line: string, pid: number) => void) | undefined): void {
    this.nodeIds = nodeIds
    this.onStderrLine = onStderrLine
    this.tail.length = 0
  }

  /**
   * Whether the worker's process and channels keep this process's event loop
   * alive: an idle pooled worker does not (`false`), one running nodes does.
   */
  hold(held: boolean): void {
    const handles = [this.child, this.child.stderr as Socket | null, this.requests as Socket, this.replies]
    for (const h of handles) {
      if (h === null) continue
      if (held) h.ref()
      else h.unref()
    }
  }

  /** The last stderr lines, oldest first. */
  stderrTail(): ReadonlyArray<string> {
    return [...this.tail]
  }

  // -- starting -------------------------------------------------------------

  /**
   * Starts a worker and waits for its `hello`. Interrupting kills it.
   */
  static start(options: SpawnOptions): Effect.Effect<Worker, WorkerStartError> {
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    const args = [
      ...(options.command ?? ["-m", "remotemedia.worker"]),
      "--in-fd",
      "3",
      "--out-fd",
      "4",
      "--parent-pid",
      String(process.pid),
      "--max-frame-bytes",
      String(maxFrameBytes),
      ...(options.workerArgs ?? [])
    ]
    let command = [options.python, ...args]
    return Effect.callback<Worker, WorkerStartError>((resume) => {
      let settled = false
      let worker: Worker | undefined
      let link: PayloadLink | undefined
      const settle = (outcome: Hello | WorkerStartError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (worker !== undefined) worker.onHello = undefined
        if (outcome instanceof WorkerStartError) {
          worker?.kill()
          resume(Effect.fail(outcome))
        } else resume(Effect.succeed(worker!))
      }
      const fail = (detail: string) => new WorkerStartError({ command, detail, stderrTail: worker?.stderrTail() ?? [] })
      const timer = setTimeout(() => settle(fail(`no hello within ${options.startTimeoutMs} ms`)), options.startTimeoutMs)
      const decoder = new FrameDecoder(maxFrameBytes)
      const onread = {
        buffer: () => decoder.buffer(),
        callback: (n: number) => {
          worker?.read(n)
          return true
        }
      }
      SocketPair.open(onread).then(({ local, remote }) => {
        if (settled) {
          local.destroy()
          remote.destroy()
          return
        }
        let child: ChildProcess
        try {
          link = options.payloads?.()
          const linked = link === undefined ? args : [...args, ...link.args]
          command = [options.python, ...linked]
          child = spawnChild(options.python, linked, {
            stdio: ["ignore", "ignore", "pipe", "pipe", remote],
            cwd: options.cwd,
            env: { ...process.env, PYTHONUNBUFFERED: "1", ...options.env }
          })
        } catch (e) {
          local.destroy()
          link?.close()
          return settle(fail((e as Error).message))
        } finally {
          remote.destroy() // the child has its own copy: the reply channel ends when the child does
        }
        worker = new Worker(child, local, decoder, options, command, link)
        child.on("error", (e) => settle(fail(e.message)))
        worker.onHello = settle
        worker.startFailure = (detail) => settle(fail(detail))
      }, (e: Error) => settle(fail(`cannot open the reply channel: ${e.message}`)))
      return Effect.sync(() => {
        if (!settled) {
          settled = true
          clearTimeout(timer)
          worker?.kill()
        }
      })
    })
  }

  private startFailure: ((detail: string) => void) | undefined
  private repliesEnded = false

  /** Closes the payload link once the process exited and every reply was read (payloads taken stay readable). */
  private release(): void {
    if (this.exit === undefined || !this.repliesEnded || this.link === undefined) return
    const link = this.link
    this.link = undefined
    link.close()
  }

  // -- receiving ------------------------------------------------------------

  /** `n` bytes were read into the decoder's buffer (the reply socket's `onread`). */
  private read(n: number): void {
    if (this.failure) return
    let frames: Array<Uint8Array>
    try {
      frames = this.decoder.filled(n)
    } catch (e) {
      return this.protocolViolation((e as Error).message)
    }
    for (const frame of frames) this.receive(frame)
  }

  private receive(frame: Uint8Array): void {
    let message: unknown
    try {
      message = decodeBody(this.codec, frame)
    } catch (e) {
      return this.protocolViolation(e instanceof CodecError ? e.message : String(e))
    }
    const invalid = invalidReason(message)
    if (invalid !== undefined) return this.protocolViolation(invalid)
    const m = message as Hello | Reply
    if (m.op === "hello") {
      if (this.hello !== undefined) return this.protocolViolation("a second hello")
      if (m.protocol !== PROTOCOL_VERSION) {
        this.startFailure?.(`the worker speaks protocol ${m.protocol}, this client ${PROTOCOL_VERSION}`)
        return
      }
      const mismatch = this.link?.check(m)
      if (mismatch !== undefined) {
        this.startFailure?.(mismatch)
        return
      }
      this.hello = m
      this.onHello?.(m)
      return
    }
    if (this.hello === undefined) return this.protocolViolation(`'${m.op}' before hello`)
    if (m.op === "error" && m.phase === "protocol") {
      return this.fail(new ProtocolError({ pid: this.pid, detectedBy: "worker", detail: m.message }), true)
    }
    if (m.op === "error" && m.phase === "timeout") this.expectingExit = true
    if (this.inFlight.settle(m) === "unknown") this.protocolViolation(`reply '${m.op}' for unknown request ${m.seq}`)
  }

  private line(line: string): void {
    this.tail.push(line)
    if (this.tail.length > this.options.stderrTailLines) this.tail.shift()
    this.onStderrLine?.(line, this.pid)
  }

  private protocolViolation(detail: string): void {
    if (this.hello === undefined && this.startFailure) {
      this.startFailure(`protocol error before hello: ${detail}`)
      return
    }
    this.fail(new ProtocolError({ pid: this.pid, detectedBy: "parent", detail }), true)
  }

  private fail(error: WorkerCrashed | ProtocolError, kill: boolean): void {
    if (this.failure) return
    this.failure = error
    this.inFlight.failAll(error)
    if (kill) this.kill()
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal }
    this.release()
    if (this.hello === undefined) {
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`
      // stderr may still be draining: give it a moment so the report carries the traceback
      setTimeout(() => this.startFailure?.(`the worker ${how} before saying hello`), 30).unref()
    } else if (this.inFlight.waiting || !this.expectingExit) {
      const during = this.inFlight.during
      const crashed = () =>
        new WorkerCrashed({
          pid: this.pid,
          nodeIds: [...this.nodeIds],
          exitCode: code,
          signal,
          stderrTail: this.stderrTail(),
          during
        })
      const report = () =>
        this.truncated !== undefined && signal === null ? this.protocolViolation(this.truncated) : this.fail(crashed(), false)
      // stderr and the reply stream may still be draining: give them a moment
      if (this.inFlight.waiting) setTimeout(report, 20).unref()
      else report()
    }
    for (const w of this.exitWaiters.splice(0)) w()
  }

  // -- requests -------------------------------------------------------------

  /**
   * Sends one request and waits for its reply (an `error` reply is a value
   * here; the caller maps it). Fails when the worker dies or breaks the
   * protocol first, or when the request cannot be encoded. Interrupted, it
   * stops waiting at once (the reply is dropped when it comes) and, for a
   * `process` or `pull`, asks the worker to stop the batch (`cancel`).
   */
  request(request: Request, during: string): Effect.Effect<Reply, WorkerCrashed | ProtocolError | CodecError> {
    return this.inFlight.run(
      request,
      during,
      () => (this.failure ? Effect.fail(this.failure) : this.exit ? Effect.fail(this.crashedNow(during)) : undefined),
      () => this.alive
    )
  }

  private write(frame: Array<Uint8Array>): void {
    const out = this.requests
    if (frame.length === 1) out.write(frame[0])
    else {
      // Header and raw parts in one gathered write (writev), no copy into one buffer.
      out.cork()
      for (const part of frame) if (part.byteLength > 0) out.write(part)
      out.uncork()
    }
  }

  private crashedNow(during: string): WorkerCrashed {
    return new WorkerCrashed({
      pid: this.pid,
      nodeIds: [...this.nodeIds],
      exitCode: this.exit?.code ?? null,
      signal: this.exit?.signal ?? null,
      stderrTail: this.stderrTail(),
      during
    })
  }

  // -- stopping -------------------------------------------------------------

  /** Sends SIGKILL (no-op once it exited). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.exit === undefined) {
      try {
        this.child.kill(signal)
      } catch {
        // already gone
      }
    }
  }

  /** Resolves once the process has exited (and been reaped). */
  waitExit(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.exit !== undefined) return resume(Effect.void)
      this.exitWaiters.push(() => resume(Effect.void))
    })
  }

  /**
   * Asks the worker to shut down, waits up to `graceMs` for it to exit,
   * then kills it. Never fails.
   */
  shutdown(graceMs: number): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      if (this.exit !== undefined) return
      this.expectingExit = true
      if (this.alive) {
        yield* this.request({ op: "shutdown" }, "shutdown").pipe(Effect.timeout(graceMs), Effect.ignore)
      }
      yield* this.waitExit().pipe(Effect.timeout(graceMs), Effect.ignore)
      if (this.exit === undefined) {
        this.kill()
        yield* this.waitExit()
      }
      this.requests.destroy()
    })
  }
}
