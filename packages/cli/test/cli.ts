// Runs the built `remotemedia` bin as a child process and collects what a user would see.
import { spawn } from "node:child_process"
import { copyFileSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The built executable and its npm bin link. */
export const BIN = join(import.meta.dirname, "..", "dist", "bin.js")
export const BIN_LINK = join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "remotemedia")

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Options {
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  /** Called with the child and its stdout so far on each stdout chunk. */
  readonly onStdout?: (child: ReturnType<typeof spawn>, stdout: string) => void
  /** Run through the npm bin link instead of `node dist/bin.js`. */
  readonly viaLink?: boolean
}

/** A fresh temporary directory holding the test's Python nodes, to run from. */
export const workdir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "remotemedia-cli-"))
  copyFileSync(join(import.meta.dirname, "fixtures", "cli_nodes.py"), join(dir, "cli_nodes.py"))
  return dir
}

/** Runs `remotemedia ...args` and resolves when it exits. */
export const cli = (args: ReadonlyArray<string>, options: Options = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const [command, argv] = options.viaLink === true ? [BIN_LINK, [...args]] : [process.execPath, [BIN, ...args]]
    const child = spawn(command, argv, {
      cwd: options.cwd ?? workdir(),
      env: { ...process.env, REMOTEMEDIA_TRANSPORT: "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      options.onStdout?.(child, stdout)
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** The stdout lines, parsed as JSON. */
export const jsonLines = (stdout: string): ReadonlyArray<unknown> =>
  stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as unknown)

/** A JavaScript stack frame (`    at fn (file.js:1:2)`). */
export const JS_FRAME = /^\s+at .+:\d+:\d+\)?$/m
