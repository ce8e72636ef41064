// Inputs: the items of `remotemedia run` from --input (one JSON value each) or --input-file (JSON lines, `-` for stdin).
import { createReadStream } from "node:fs"
import { access } from "node:fs/promises"
import { resolve } from "node:path"
import { createInterface } from "node:readline"
import type { RuntimeData } from "@remotemedia/core"
import { CliError, usageError } from "./CliError.js"
import { decode, InvalidJsonForm } from "./JsonCodec.js"
import { JsonSyntaxError, parseJson } from "./JsonText.js"

type Value = RuntimeData.RuntimeData

/** One JSON text as a pipeline value; errors are prefixed with `where`. */
const item = (text: string, where: string): Value => {
  try {
    return decode(parseJson(text))
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CliError(`${where}: not valid JSON (${e.detail} at column ${e.column})`)
    if (e instanceof InvalidJsonForm) throw new CliError(`${where}: ${e.message}`)
    throw e
  }
}

async function* lines(source: NodeJS.ReadableStream, name: string): AsyncGenerator<Value> {
  let number = 0
  for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
    number++
    if (line.trim() !== "") yield item(line, `${name}:${number}`)
  }
}

/**
 * The run's input: `undefined` when neither option is given (the pipeline
 * runs once without input), else the items in order. `--input` values are
 * decoded at once; `--input-file` lines are read as the pipeline takes them.
 */
export const readInputs = async (
  inputs: ReadonlyArray<string>,
  inputFile: string | undefined,
  cwd: string
): Promise<Iterable<Value> | AsyncIterable<Value> | undefined> => {
  if (inputs.length > 0 && inputFile !== undefined) throw usageError("give either --input or --input-file, not both")
  if (inputFile === "-") return lines(process.stdin, "<stdin>")
  if (inputFile !== undefined) {
    const path = resolve(cwd, inputFile)
    await access(path).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read input file ${inputFile}: ${e.message}`)
    })
    return lines(createReadStream(path, "utf8"), inputFile)
  }
  if (inputs.length === 0) return undefined
  return inputs.map((text, i) => item(text, inputs.length === 1 ? "--input" : `--input #${i + 1}`))
}
