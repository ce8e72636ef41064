/**
 * SocketPair: a connected pair of Unix stream sockets made with Node's own
 * `net` module, one end to keep and one to hand to a child process. Node lets
 * a socket read into caller-provided memory (`onread`) only when it creates
 * the socket itself, which `child_process` pipes are not: the worker's reply
 * channel is such a pair, so large frames are read straight into their own
 * buffers. The rendezvous socket lives in a fresh private (0700) directory
 * and is removed as soon as the pair is connected.
 *
 * @since 0.1.0
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type OnReadOpts, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * The two connected ends.
 *
 * @category models
 * @since 0.1.0
 */
export interface SocketPair {
  /** The end this process keeps, reading with the given `onread`. */
  readonly local: Socket
  /** The end to pass to the child (as a `stdio` entry), then destroy here. */
  readonly remote: Socket
}

// sockaddr_un holds 108 bytes; a long TMPDIR falls back to /tmp.
const base = (): string => (tmpdir().length <= 80 ? tmpdir() : "/tmp")

/**
 * Connects a pair. Rejects if the rendezvous fails (e.g. no writable temp
 * directory); nothing is left behind either way.
 *
 * @category constructors
 * @since 0.1.0
 */
export const open = (onread: OnReadOpts): Promise<SocketPair> =>
  new Promise((resolve, reject) => {
    let dir: string
    try {
      dir = mkdtempSync(join(base(), "rm-ipc-"))
    } catch (e) {
      return reject(e instanceof Error ? e : new Error(String(e)))
    }
    const path = join(dir, "s")
    // The accepted end is only handed on: it must not start reading here.
    const server = createServer({ pauseOnConnect: true })
    const done = (error: Error | undefined, pair?: SocketPair) => {
      server.close()
      rmSync(dir, { recursive: true, force: true })
      if (error !== undefined) reject(error)
      else resolve(pair!)
    }
    server.once("error", (e) => done(e))
    server.listen(path, () => {
      const local = new Socket({ onread })
      const failed = (e: Error) => done(e)
      local.once("error", failed)
      server.once("connection", (remote: Socket) => {
        local.off("error", failed)
        done(undefined, { local, remote })
      })
      local.connect(path)
    })
  })
