/**
 * PythonEnvironment: which Python every transport uses — the embedded
 * interpreter's virtual environment and the interpreter worker subprocesses
 * run — found by one precedence, first match wins:
 *
 * 1. the `python` option (an interpreter; its venv is the one it lives in)
 * 2. the `venv` option
 * 3. env `REMOTEMEDIA_PYTHON`
 * 4. env `REMOTEMEDIA_VENV`
 * 5. env `VIRTUAL_ENV` (skipped when it is not a venv any more)
 * 6. the nearest `python/.venv` walking up from the working directory
 * 7. the nearest `python/.venv` walking up from the SDK's installed package
 * 8. `python3` from `PATH` (only where no venv is needed: worker subprocesses)
 *
 * A choice made explicitly (1–4) that does not exist is an error naming it;
 * it never falls through to a later step.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

/**
 * The step of the precedence a choice came from.
 *
 * @category models
 * @since 0.1.0
 */
export type Source =
  | "option python"
  | "option venv"
  | "$REMOTEMEDIA_PYTHON"
  | "$REMOTEMEDIA_VENV"
  | "$VIRTUAL_ENV"
  | "working directory"
  | "package"
  | "PATH"

/**
 * A resolved environment: the interpreter to run and the venv it belongs to.
 *
 * @category models
 * @since 0.1.0
 */
export interface Found {
  readonly _tag: "Found"
  /** The interpreter (`<venv>/bin/python`, or `python3` from PATH). */
  readonly python: string
  /** The virtual environment, when the interpreter lives in one. */
  readonly venv: string | undefined
  readonly source: Source
  /** Every place looked at, in order, for messages. */
  readonly tried: ReadonlyArray<string>
}

/**
 * Nothing usable was found, or an explicit choice is not usable.
 *
 * @category models
 * @since 0.1.0
 */
export interface NotFound {
  readonly _tag: "NotFound"
  readonly reason: string
  readonly tried: ReadonlyArray<string>
}

/**
 * The explicit choices a caller (a transport's options) may make.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  readonly python?: string | undefined
  readonly venv?: string | undefined
}

/**
 * Where to look from, and what is needed.
 *
 * @category models
 * @since 0.1.0
 */
export interface SearchContext {
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly cwd?: string | undefined
  /** A directory of the SDK's installed package (step 7). */
  readonly packageDir?: string | undefined
  /** The embedded interpreter needs a venv; worker subprocesses can run any interpreter. */
  readonly requireVenv?: boolean | undefined
}

/**
 * Whether `dir` is a virtual environment (holds `pyvenv.cfg`).
 *
 * @category predicates
 * @since 0.1.0
 */
export const isVenv = (dir: string): boolean => existsSync(join(dir, "pyvenv.cfg"))

/**
 * A venv's interpreter.
 *
 * @category getters
 * @since 0.1.0
 */
export const venvPython = (venv: string): string => join(venv, "bin", "python")

/** `<dir>/python/.venv` for `dir` and each of its ancestors. */
const walkUp = (from: string): Array<string> => {
  const found: Array<string> = []
  for (let dir = resolve(from);; dir = dirname(dir)) {
    found.push(join(dir, "python", ".venv"))
    if (dirname(dir) === dir) return found
  }
}

/**
 * Finds the environment by the precedence in the module doc.
 *
 * @category resolving
 * @since 0.1.0
 */
export const find = (options: Options = {}, context: SearchContext = {}): Found | NotFound => {
  const env = context.env ?? process.env
  const cwd = context.cwd ?? process.cwd()
  const requireVenv = context.requireVenv === true
  const tried: Array<string> = []
  const found = (python: string, venv: string | undefined, source: Source): Found | NotFound =>
    venv === undefined && requireVenv
      ? {
        _tag: "NotFound",
        reason: `${python} (${source}) is not inside a virtual environment, which the embedded interpreter needs (name a venv instead)`,
        tried
      }
      : { _tag: "Found", python, venv, source, tried }

  const interpreter = (python: string, source: Source): Found | NotFound => {
    const path = python.includes("/") ? resolve(cwd, python) : python
    tried.push(`${path} (${source})`)
    if (path.includes("/") && !existsSync(path)) {
      return { _tag: "NotFound", reason: `the Python interpreter ${path} (${source}) does not exist`, tried }
    }
    const home = dirname(dirname(path))
    return found(path, path.includes("/") && isVenv(home) ? home : undefined, source)
  }
  const venv = (dir: string, source: Source): Found | NotFound => {
    const path = resolve(cwd, dir)
    tried.push(`${path} (${source})`)
    return isVenv(path)
      ? found(venvPython(path), path, source)
      : { _tag: "NotFound", reason: `${path} (${source}) is not a virtual environment (no pyvenv.cfg)`, tried }
  }

  if (options.python) return interpreter(options.python, "option python")
  if (options.venv) return venv(options.venv, "option venv")
  if (env["REMOTEMEDIA_PYTHON"]) return interpreter(env["REMOTEMEDIA_PYTHON"], "$REMOTEMEDIA_PYTHON")
  if (env["REMOTEMEDIA_VENV"]) return venv(env["REMOTEMEDIA_VENV"], "$REMOTEMEDIA_VENV")
  const candidates: Array<readonly [string, Source]> = []
  if (env["VIRTUAL_ENV"]) candidates.push([resolve(cwd, env["VIRTUAL_ENV"]), "$VIRTUAL_ENV"])
  for (const dir of walkUp(cwd)) candidates.push([dir, "working directory"])
  if (context.packageDir !== undefined) for (const dir of walkUp(context.packageDir)) candidates.push([dir, "package"])
  const seen = new Set<string>()
  for (const [dir, source] of candidates) {
    if (seen.has(dir)) continue
    seen.add(dir)
    tried.push(source === "$VIRTUAL_ENV" ? `${dir} (${source})` : dir)
    if (isVenv(dir)) return found(venvPython(dir), dir, source)
  }
  if (!requireVenv) return { _tag: "Found", python: "python3", venv: undefined, source: "PATH", tried: [...tried, "python3 (PATH)"] }
  return {
    _tag: "NotFound",
    reason:
      "no Python virtual environment found (pass { venv }, set REMOTEMEDIA_VENV, or run `npm run setup` to create python/.venv)",
    tried
  }
}
