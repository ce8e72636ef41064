// Target: what `remotemedia run` runs — a manifest file, a Python script, or a Python `module:attr` — and loading it as a pipeline.
import { readFile } from "node:fs/promises"
import { resolve } from "node:path"
import { type PyObject, start } from "@remotemedia/python-bridge"
import { CliError, usageError } from "./CliError.js"
import { JsonSyntaxError, parseJson } from "./JsonText.js"

/** A parsed run target. */
export type Target =
  | { readonly kind: "manifest"; readonly path: string }
  | { readonly kind: "script"; readonly path: string }
  | { readonly kind: "python"; readonly module: string; readonly attr: string }

const dotted = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/

/** Tells the target kind from its text: `*.json`, `*.py`, else `module:attr`. */
export const parseTarget = (text: string): Target => {
  if (text.endsWith(".json")) return { kind: "manifest", path: text }
  if (text.endsWith(".py")) return { kind: "script", path: text }
  const colon = text.indexOf(":")
  const module = text.slice(0, colon)
  const attr = text.slice(colon + 1)
  if (colon === -1 || !dotted.test(module) || !dotted.test(attr)) {
    throw usageError(
      `cannot tell what to run from '${text}': expected a manifest file (*.json), a Python file (*.py) or module:attr (e.g. my_nodes:pipeline)`
    )
  }
  return { kind: "python", module, attr }
}

/** Reads a JSON file; unreadable files and syntax errors are CliErrors naming the file (and line:column). */
export const readJsonFile = async (path: string, cwd: string): Promise<unknown> => {
  const text = await readFile(resolve(cwd, path), "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${e.message}`)
  })
  try {
    return parseJson(text)
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CliError(`${path}:${e.line}:${e.column}: not valid JSON: ${e.detail}`)
    throw e
  }
}

const isSequence = (object: PyObject): boolean => /^(builtins\.)?(list|tuple)$/.test(object.typeName)

/**
 * The Python object `module:attr` names, started in the embedded interpreter
 * with `cwd` on `sys.path`: a `remotemedia.Pipeline` or `Node` handle as it
 * is (core's executor takes those through the bridge's resolver), a list or
 * tuple of nodes as an array of their handles.
 */
const loadPython = async (module: string, attr: string, cwd: string): Promise<PyObject | ReadonlyArray<PyObject>> => {
  let object = await start({ paths: [cwd] }).import(module)
  for (const name of attr.split(".")) object = await object.get(name)
  if (!isSequence(object)) return object
  const length = (await object.callMethodJs("__len__")) as number
  return Promise.all(Array.from({ length }, (_, i) => object.callMethod("__getitem__", [i])))
}

/** Loads a manifest or Python target as what core's executor takes as a pipeline. */
export const loadPipeline = (target: Exclude<Target, { readonly kind: "script" }>, cwd: string): Promise<unknown> =>
  target.kind === "manifest" ? readJsonFile(target.path, cwd) : loadPython(target.module, target.attr, cwd)
