/**
 * SharedMemory: the iceoryx2 payload channel of each worker, over the native
 * addon. Every worker gets a prefix and root path of its own (unique per run,
 * under a per-user 0700 directory), so its resources are named, private and
 * removed as a whole: once the worker exited and every reply was read, the
 * channel is closed, dead nodes are cleaned up, and every `/dev/shm` file of
 * the prefix and the root directory are removed. A run that starts sweeps
 * what processes that died without closing (a SIGKILLed parent) left.
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import type { Hello, PayloadLink } from "@remotemedia/transport-ipc/shared"

/**
 * The addon's exports (the generated loader's types).
 *
 * @category models
 * @since 0.1.0
 */
export type Native = typeof import("#native")

/**
 * How a worker's payload channel is sized.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChannelSettings {
  /** Raw parts of this many bytes and up travel through shared memory. */
  readonly threshold: number
  /**
   * Samples per publisher segment, and the most payloads one message carries
   * through shared memory; a receiver holds at most half as many in use
   * before it copies payloads out.
   */
  readonly samples: number
  /** The slice length a publisher starts with (its segment grows in powers of two). */
  readonly initialSliceBytes: number
  /** The largest payload sent: a larger one fails its message with an error naming its size. */
  readonly maxPayloadBytes: number
}

/** Where the root paths of this user's channels live (created 0700). */
const baseDir = (): string => join(tmpdir(), `remotemedia-iceoryx-${userInfo().uid}`)

const SHM_DIR = "/dev/shm"

/** A run's id: this process's pid, then random hex (`<pid>x<hex>`). */
const RUN = /^(\d+)x[0-9a-f]+$/

const prefixOf = (id: string): string => `iox2_rm${id}_`

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Whether this process's user owns `path` (another user's files are never touched). */
const owned = (path: string): boolean => {
  try {
    return statSync(path).uid === process.getuid?.()
  } catch {
    return false
  }
}

/**
 * Removes the channels of this user's processes that are gone (a parent
 * killed before it could close them): their `/dev/shm` files and root
 * directories. Returns the run ids swept.
 *
 * @category cleanup
 * @since 0.1.0
 */
export const sweep = (native: Native): ReadonlyArray<string> => {
  const ids = new Set<string>()
  const base = baseDir()
  if (existsSync(base)) for (const entry of readdirSync(base)) if (RUN.test(entry)) ids.add(entry)
  if (existsSync(SHM_DIR)) {
    for (const entry of readdirSync(SHM_DIR)) {
      const id = /^iox2_rm(\d+x[0-9a-f]+)_/.exec(entry)?.[1]
      if (id !== undefined && owned(join(SHM_DIR, entry))) ids.add(id)
    }
  }
  const swept: Array<string> = []
  for (const id of ids) {
    if (alive(Number(RUN.exec(id)![1]))) continue
    native.removeResources(prefixOf(id), join(base, id))
    swept.push(id)
  }
  return swept
}

/**
 * Why workers of `python` cannot open a channel of this addon, if they cannot:
 * the iceoryx2 wheel is missing or of another version.
 *
 * @category checks
 * @since 0.1.0
 */
export const wheelProblem = (python: string, version: string): string | undefined => {
  const probe = spawnSync(python, ["-c", "from importlib.metadata import version; print(version('iceoryx2'))"], {
    encoding: "utf8",
    timeout: 30_000
  })
  const found = probe.status === 0 ? probe.stdout.trim() : undefined
  if (found === version) return undefined
  const what = found === undefined ? "has no iceoryx2 wheel" : `has iceoryx2 ${found}`
  return `the worker interpreter ${python} ${what}, the addon is built with iceoryx2 ${version}: ` +
    `install it with pip install 'remotemedia[iceoryx]' (iceoryx2==${version})`
}

/**
 * A worker's payload channel, which can also lend memory to fill in place.
 *
 * @category models
 * @since 0.1.0
 */
export interface SharedLink extends PayloadLink {
  /**
   * `bytes` bytes of a sample of this channel's, to fill in place and send
   * without a copy (to this channel's worker; to another, it is copied like
   * any payload); undefined when no sample can be lent now.
   */
  allocate(bytes: number): ArrayBuffer | undefined
}

/** Past this many remembered buffers, those collected are forgotten. */
const REMEMBERED = 256

/**
 * Opens the payload channel of one worker about to start.
 *
 * @category constructors
 * @since 0.1.0
 */
export const openLink = (native: Native, settings: ChannelSettings): SharedLink => {
  const version = native.iceoryx2Version()
  const id = `${process.pid}x${randomBytes(6).toString("hex")}`
  const base = baseDir()
  mkdirSync(base, { recursive: true, mode: 0o700 })
  const prefix = prefixOf(id)
  const root = `${join(base, id)}/`
  const name = `remotemedia/${id}`
  let channel: InstanceType<Native["PayloadChannel"]>
  try {
    channel = new native.PayloadChannel(prefix, root, name, settings.samples, settings.initialSliceBytes)
  } catch (e) {
    native.removeResources(prefix, root)
    throw e
  }
  /** The buffer over each payload of this side's that both sides keep, by sequence number. */
  const own = new Map<number, WeakRef<ArrayBuffer>>()
  const remember = (seq: number, buffer: ArrayBuffer): void => {
    if (own.size >= REMEMBERED) for (const [k, ref] of own) if (ref.deref() === undefined) own.delete(k)
    own.set(seq, new WeakRef(buffer))
  }
  const limit = (bytes: number): void => {
    if (bytes > settings.maxPayloadBytes) {
      throw new RangeError(`a payload of ${bytes} bytes exceeds the limit of ${settings.maxPayloadBytes} bytes (maxPayloadBytes)`)
    }
  }
  return {
    threshold: settings.threshold,
    capacity: settings.samples,
    args: [
      "--shm",
      JSON.stringify({
        prefix,
        root,
        name,
        threshold: settings.threshold,
        samples: settings.samples,
        initial_slice_len: settings.initialSliceBytes
      })
    ],
    put: (raw) => {
      limit(raw.byteLength)
      return channel.publish(raw) ?? undefined
    },
    share: (raw) => {
      if (!(raw.buffer instanceof ArrayBuffer)) return undefined
      const seq = channel.share(raw.buffer) ?? undefined
      if (seq !== undefined) remember(seq, raw.buffer)
      return seq
    },
    allocate: (bytes) => {
      limit(bytes)
      return channel.allocate(bytes) ?? undefined
    },
    take: (seq, length) => {
      const bytes = new Uint8Array(channel.take(seq))
      if (bytes.byteLength !== length) {
        throw new RangeError(`payload ${seq} has ${bytes.byteLength} bytes, its reference says ${length}`)
      }
      return bytes
    },
    takeShared: (seq, offset, length) => {
      const known = own.get(seq)?.deref()
      if (known !== undefined && channel.retain(known, seq)) return new Uint8Array(known, offset, length)
      // The whole payload, or a copy of the bytes referred to (the payload has a buffer already).
      const buffer = channel.takeShared(seq, offset, length)
      remember(seq, buffer)
      return buffer.byteLength === length ? new Uint8Array(buffer) : new Uint8Array(buffer, offset, length)
    },
    check: (hello: Hello) =>
      hello.iceoryx2 === version ? undefined : `the worker's iceoryx2 is ${hello.iceoryx2 ?? "not loaded"}, the addon's ${version}: ` +
        `install pip install 'remotemedia[iceoryx]' (iceoryx2==${version}) in the worker's interpreter`,
    close: () => {
      try {
        channel.cleanupDeadNodes()
      } finally {
        channel.close()
        native.removeResources(prefix, root)
      }
    }
  }
}
