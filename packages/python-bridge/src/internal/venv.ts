/**
 * Finding the virtual environment Python starts with.
 *
 * @internal
 */
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** Where the venv came from and where it is, or every place looked at. */
export type VenvSearch =
  | { readonly _tag: "Found"; readonly venv: string; readonly tried: ReadonlyArray<string> }
  | { readonly _tag: "NotFound"; readonly reason: string; readonly tried: ReadonlyArray<string> }

const isVenv = (dir: string): boolean => existsSync(join(dir, "pyvenv.cfg"))

/** `<dir>/python/.venv` for `dir` and each of its ancestors. */
const walkUp = (from: string): Array<string> => {
  const found: Array<string> = []
  let dir = resolve(from)
  for (;;) {
    found.push(join(dir, "python", ".venv"))
    const parent = dirname(dir)
    if (parent === dir) return found
    dir = parent
  }
}

/** This package's directory (src/internal or dist, in ESM or CJS). */
const here = (): string => dirname(fileURLToPath(import.meta.url))

/**
 * The venv to use: `explicit` if given (it must exist), else env
 * `REMOTEMEDIA_VENV`, else `VIRTUAL_ENV`, else the nearest `python/.venv`
 * walking up from the working directory, then from this package.
 */
export const findVenv = (explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): VenvSearch => {
  if (explicit !== undefined) {
    const venv = resolve(explicit)
    return isVenv(venv)
      ? { _tag: "Found", venv, tried: [venv] }
      : { _tag: "NotFound", reason: `${venv} is not a virtual environment (no pyvenv.cfg)`, tried: [venv] }
  }
  const candidates: Array<[string, string]> = []
  if (env["REMOTEMEDIA_VENV"]) candidates.push([resolve(env["REMOTEMEDIA_VENV"]), "$REMOTEMEDIA_VENV"])
  if (env["VIRTUAL_ENV"]) candidates.push([resolve(env["VIRTUAL_ENV"]), "$VIRTUAL_ENV"])
  for (const dir of walkUp(process.cwd())) candidates.push([dir, "cwd"])
  for (const dir of walkUp(here())) candidates.push([dir, "package"])
  const tried: Array<string> = []
  for (const [dir, source] of candidates) {
    const label = source.startsWith("$") ? `${dir} (${source})` : dir
    if (tried.includes(label)) continue
    tried.push(label)
    if (isVenv(dir)) return { _tag: "Found", venv: dir, tried }
  }
  return {
    _tag: "NotFound",
    reason: "no Python virtual environment found (pass { venv }, set REMOTEMEDIA_VENV, or run `npm run setup` to create python/.venv)",
    tried
  }
}
