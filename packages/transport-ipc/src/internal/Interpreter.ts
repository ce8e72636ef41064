/**
 * Interpreter: which Python runs the workers. In order: the `python` option,
 * env `REMOTEMEDIA_PYTHON`, the `venv` option, env `VIRTUAL_ENV`, the nearest
 * `python/.venv` from the working directory up (the repository layout), and
 * finally `python3` from `PATH`.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

/**
 * A resolved interpreter.
 *
 * @category models
 * @since 0.1.0
 */
export interface PythonLocation {
  readonly python: string
  /** Where the choice came from, for messages. */
  readonly source: "option" | "env" | "venv" | "repository" | "path"
}

const venvPython = (venv: string) => join(venv, "bin", "python")

/**
 * Finds the interpreter; throws when an explicitly named one does not exist.
 *
 * @category resolving
 * @since 0.1.0
 */
export const findPython = (
  options: { readonly python?: string | undefined; readonly venv?: string | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd()
): PythonLocation => {
  const explicit = (python: string, source: PythonLocation["source"], what: string): PythonLocation => {
    if (python.includes("/") && !existsSync(python)) throw new Error(`the Python interpreter ${python} (${what}) does not exist`)
    return { python, source }
  }
  if (options.python) return explicit(options.python, "option", "option 'python'")
  const fromEnv = env["REMOTEMEDIA_PYTHON"]
  if (fromEnv) return explicit(fromEnv, "env", "env REMOTEMEDIA_PYTHON")
  if (options.venv) return explicit(venvPython(resolve(cwd, options.venv)), "venv", "option 'venv'")
  const active = env["VIRTUAL_ENV"]
  if (active && existsSync(venvPython(active))) return { python: venvPython(active), source: "venv" }
  for (let dir = resolve(cwd);; dir = dirname(dir)) {
    const candidate = venvPython(join(dir, "python", ".venv"))
    if (existsSync(candidate)) return { python: candidate, source: "repository" }
    if (dirname(dir) === dir) break
  }
  return { python: "python3", source: "path" }
}
