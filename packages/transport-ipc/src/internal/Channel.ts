/**
 * Channel: the worker protocol's frames and data encoding over a pair of
 * byte streams this process was handed (a standalone caller's pipes, see
 * PROTOCOL.md "Standalone callers"): messages out as frames of the shared
 * {@link FrameEncoder}, frames in through the shared {@link FrameDecoder},
 * each body decoded with the shared {@link Codec}.
 *
 * @since 0.1.0
 */
import type { Readable, Writable } from "node:stream"
import { Codec, CodecError } from "./Codec.js"
import { DEFAULT_MAX_FRAME_BYTES, decodeBody, FrameDecoder, FrameEncoder } from "./Framing.js"

/**
 * What a channel reports: each decoded message, then its end (`problem`: why
 * it broke, undefined at a clean end of stream).
 *
 * @category models
 * @since 0.1.0
 */
export interface ChannelEvents {
  readonly message: (message: unknown) => void
  readonly end: (problem: string | undefined) => void
}

/**
 * A framed, encoded message stream in both directions.
 *
 * @category models
 * @since 0.1.0
 */
export class Channel {
  private readonly codec = new Codec()
  private readonly frames: FrameEncoder
  private ended = false

  /** Starts reading `input` at once; `output` gets the frames sent. */
  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly events: ChannelEvents,
    maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES
  ) {
    this.frames = new FrameEncoder(this.codec, maxFrameBytes)
    const decoder = new FrameDecoder(maxFrameBytes)
    output.on("error", (e) => this.finish(`cannot write: ${e.message}`))
    input.on("error", (e) => this.finish(`cannot read: ${e.message}`))
    input.on("end", () => {
      try {
        decoder.end()
        this.finish(undefined)
      } catch (e) {
        this.finish((e as Error).message)
      }
    })
    input.on("data", (chunk: Uint8Array) => {
      if (this.ended) return
      let bodies: Array<Uint8Array>
      try {
        bodies = decoder.push(chunk)
      } catch (e) {
        return this.finish((e as Error).message)
      }
      for (const body of bodies) {
        let message: unknown
        try {
          message = decodeBody(this.codec, body)
        } catch (e) {
          return this.finish(e instanceof CodecError ? e.message : String(e))
        }
        if (this.ended) return
        events.message(message)
      }
    })
  }

  /** Whether the channel still carries messages. */
  get open(): boolean {
    return !this.ended
  }

  /** Sends one message; throws a {@link CodecError} when it cannot be encoded (nothing is sent then). */
  send(message: unknown): void {
    if (this.ended) return
    const frame = this.frames.encode(message)
    if (frame.length === 1) this.output.write(frame[0])
    else {
      this.output.cork()
      for (const part of frame) if (part.byteLength > 0) this.output.write(part)
      this.output.uncork()
    }
  }

  /** Stops reading and ends the output once what was sent is written. */
  close(): void {
    this.finish(undefined)
  }

  private finish(problem: string | undefined): void {
    if (this.ended) return
    this.ended = true
    this.input.destroy()
    this.output.end()
    this.events.end(problem)
  }
}
