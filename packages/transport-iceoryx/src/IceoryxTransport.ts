/**
 * IceoryxTransport: core's `Transport` over `python -m remotemedia.worker`
 * subprocesses — transport-ipc's worker model unchanged (a worker per fused
 * group, instances shipped as cleanup() → cloudpickle → initialize(), the
 * same errors, restart, `returnState` and warm pool; the same control frames
 * on the pipe and socket) — with the media payloads of requests and replies
 * in iceoryx2 shared memory.
 *
 * What goes through shared memory: every raw part of a `Tensor`, `Audio`,
 * `VideoFrame` or pickled Python object of at least `shm.thresholdBytes`
 * bytes (default 16 KiB), up to `shm.samples` per message (the rest travel
 * in the frame, as on ipc). The sender writes it once, into a sample of its
 * own publisher; the frame carries a reference (the sample's sequence
 * number, its length and the media header: dtype, shape, sample rate, ...).
 * The receiver reads it in place: the worker as numpy arrays over the
 * sample's memory, Node.js as typed arrays over an external `ArrayBuffer`
 * over the sample. A sample goes back to its publisher only once no view of
 * it is alive (V8 collected the buffer; Python dropped the last array). Past
 * `shm.samples / 2` samples held at once by one side, payloads are copied
 * out and their samples released at once (so a node that keeps many inputs
 * never stalls the channel); a runtime that refuses external buffers gets a
 * copy too (napi's fallback). A publisher's segment holds `shm.samples`
 * samples, so released ones are reused with their pages already mapped.
 *
 * Waiting: payloads are sent before the frame that refers to them, so they
 * are in the receiver's queue when the frame arrives; Node.js learns of a
 * reply from its socket (libuv), the worker from its pipe. Nothing polls or
 * spins, and the JS thread never blocks.
 *
 * No silent loss: safe overflow is off; a payload the receiver's queue has no
 * room for, or that cannot be loaned (larger than `shm.maxPayloadBytes`, or
 * shared memory exhausted), fails its message with an error naming its size.
 * Segments grow in powers of two for larger payloads.
 *
 * Zero copy: {@link allocate} and {@link tensor} lend memory that is a
 * sample of shared memory already, to fill in place; sent to the worker,
 * such a payload goes by reference (no copy), and a node that returns its
 * input (or a slice of it) answers with a reference to that same memory
 * (no copy back; the reply's data is a view of the very `ArrayBuffer` sent,
 * while it is alive); such an output sent on to the same worker goes by
 * reference again. The worker keeps such a sample until the parent's last
 * view of it is collected (the parent tells it ahead of a later payload).
 *
 * Resources: every worker's channel has a prefix and root path of its own
 * (a per-user 0700 directory); after the worker exits they are removed
 * whole, crashed or not, and a transport that starts sweeps those of dead
 * processes. The worker's interpreter needs the `iceoryx2` wheel of the
 * addon's exact version (`pip install 'remotemedia[iceoryx]'`); a missing
 * wheel or addon fails with `TransportUnavailable` saying what to install.
 *
 * @since 0.1.0
 */
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { RuntimeData, type Transport, Transport as TransportService, TransportUnavailable } from "@remotemedia/core"
import type { IpcOptions } from "@remotemedia/transport-ipc"
import { BLOB_THRESHOLD, makeWorkerTransport } from "@remotemedia/transport-ipc/shared"
import { Config, Effect, Layer, Schema } from "effect"
import { type ChannelSettings, type Native, openLink, type SharedLink, sweep, wheelProblem } from "./internal/SharedMemory.js"

/**
 * Options of the iceoryx transport: those of transport-ipc (see its
 * `IpcOptions`), and how the shared-memory channels are sized.
 *
 * @category models
 * @since 0.1.0
 */
export interface IceoryxOptions extends IpcOptions {
  readonly shm?: SharedMemoryOptions | undefined
}

/**
 * How each worker's shared-memory payload channel is sized.
 *
 * @category models
 * @since 0.1.0
 */
export interface SharedMemoryOptions {
  /** Raw parts of this many bytes and up travel through shared memory (1 .. 65536). Default 16 384. */
  readonly thresholdBytes?: number | undefined
  /**
   * Samples per publisher segment (1 .. 65536), and the most payloads one message carries through
   * shared memory; a receiver holds at most half as many before it copies payloads out. Default 16.
   */
  readonly samples?: number | undefined
  /** The slice a publisher starts with, in bytes; larger payloads grow it. Default 1 MiB. */
  readonly initialSliceBytes?: number | undefined
  /** The largest payload sent from Node.js, in bytes; a larger one fails its message naming its size. Default 4 GiB - 1. */
  readonly maxPayloadBytes?: number | undefined
}

const Count = Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(65_536))
const SharedMemorySchema = Schema.Struct({
  thresholdBytes: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(BLOB_THRESHOLD))),
  samples: Schema.optional(Count),
  initialSliceBytes: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(0xffffffff))),
  maxPayloadBytes: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(0xffffffff)))
})

/** A folder of this package, from which the SDK's own `python/.venv` is looked for last. */
const packageDir = dirname(fileURLToPath(import.meta.url))

const unavailable = (detail: string) => new TransportUnavailable({ transport: "iceoryx", packageName: "", detail })

const loadNative = Effect.tryPromise({
  try: (): Promise<Native> => import("#native"),
  catch: (e) =>
    unavailable(
      `its native addon cannot be loaded (${e instanceof Error ? e.message.split("\n")[0] : String(e)}): ` +
        "build it with npm run build -w @remotemedia/transport-iceoryx (needs cargo)"
    )
})

/**
 * Makes the transport service. Fails with `TransportUnavailable` when the
 * options are invalid, the interpreter does not exist, the native addon is
 * not built or the interpreter has no `iceoryx2` wheel of the addon's version.
 * With `pool`, the pool is shut down when the `Scope` in context (if any) closes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: IceoryxOptions = {}): Effect.Effect<Transport.Transport["Service"], TransportUnavailable> =>
  Effect.gen(function*() {
    const { shm = {}, ...ipcOptions } = options
    yield* Schema.decodeUnknownEffect(SharedMemorySchema)(shm).pipe(
      Effect.mapError((e) => unavailable(`invalid shm options: ${e.message}`))
    )
    const native = yield* loadNative
    const settings: ChannelSettings = {
      threshold: shm.thresholdBytes ?? 16 * 1024,
      samples: shm.samples ?? 16,
      initialSliceBytes: shm.initialSliceBytes ?? 1024 * 1024,
      maxPayloadBytes: shm.maxPayloadBytes ?? 0xffffffff
    }
    yield* Effect.try({
      try: () => sweep(native),
      catch: (e) => unavailable(`cannot remove stale iceoryx2 resources: ${e instanceof Error ? e.message : String(e)}`)
    })
    const links: Array<SharedLink> = []
    const transport = yield* makeWorkerTransport("iceoryx", ipcOptions, packageDir, {
      prepare: (python) => wheelProblem(python, native.iceoryx2Version()),
      payloads: () => {
        const link = openLink(native, settings)
        links.push(link)
        return {
          ...link,
          close: () => {
            links.splice(links.indexOf(link), 1)
            link.close()
          }
        }
      }
    })
    arenas.set(transport, links)
    return transport
  })

/** The open channels of each transport made here, the latest last. */
const arenas = new WeakMap<Transport.Transport["Service"], ReadonlyArray<SharedLink>>()

/**
 * `bytes` bytes to fill in place and send without a copy: a sample of the
 * shared memory of the transport's worker started last (a pipeline's one
 * Python worker, or a pooled one), so the payload goes to that worker by
 * reference, and a node returning it answers with a view of this same
 * buffer. Its bytes are uninitialized (what the sample held before). A
 * plain `ArrayBuffer` (copied when sent, as any payload) when the transport
 * is not an iceoryx one, has no worker running, or its worker holds
 * `shm.samples / 2` such payloads already; sent to another worker, it is
 * copied too. Throws a `RangeError` past `shm.maxPayloadBytes`.
 *
 * @category zero copy
 * @since 0.1.0
 */
export const allocate = (transport: Transport.Transport["Service"], bytes: number): ArrayBuffer => {
  const link = arenas.get(transport)?.at(-1)
  return link?.allocate(bytes) ?? new ArrayBuffer(bytes)
}

/**
 * A `Tensor` of `dtype` and `shape` whose data is {@link allocate}d: fill
 * `tensor.data` in place, then send it without a copy.
 *
 * @category zero copy
 * @since 0.1.0
 */
export const tensor = <D extends RuntimeData.DType>(
  transport: Transport.Transport["Service"],
  dtype: D,
  shape: ReadonlyArray<number>
): RuntimeData.Tensor<D> => {
  const Ctor = RuntimeData.TypedArrayConstructors[dtype]
  const length = shape.reduce((a, b) => a * b, 1)
  const data = new Ctor(allocate(transport, length * Ctor.BYTES_PER_ELEMENT)) as RuntimeData.TypedArrayByDType[D]
  return new RuntimeData.Tensor(data, shape)
}

/**
 * The transport as a layer providing core's `Transport` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: IceoryxOptions = {}): Layer.Layer<TransportService.Transport, TransportUnavailable> =>
  Layer.effect(TransportService.Transport, make(options))

/**
 * The transport as a layer, its options read from `Config`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  config: Config.Wrap<IceoryxOptions>
): Layer.Layer<TransportService.Transport, TransportUnavailable> =>
  Layer.effect(
    TransportService.Transport,
    Config.unwrap(config).pipe(
      Effect.mapError((e) => unavailable(`invalid configuration: ${e.message}`)),
      Effect.flatMap(make)
    )
  )

/**
 * Promise form of {@link make}: resolves to the transport service (provide
 * it as core's `Transport` to run pipelines on it).
 *
 * @category constructors
 * @since 0.1.0
 */
export const create = (options: IceoryxOptions = {}): Promise<Transport.Transport["Service"]> => Effect.runPromise(make(options))
