// JsonText: JSON.parse whose errors say where (line and column), for manifests and input lines.

/**
 * A JSON syntax error with its 1-based line and column.
 *
 * @category errors
 * @since 0.1.0
 */
export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError"
  constructor(readonly line: number, readonly column: number, readonly detail: string) {
    super(`line ${line}, column ${column}: ${detail}`)
  }
}

/** Line and column (1-based) of a character offset. */
const locate = (text: string, offset: number): { readonly line: number; readonly column: number } => {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf("\n") + 1
  return { line: before.split("\n").length, column: offset - lineStart + 1 }
}

/**
 * Parses JSON text; a syntax error becomes {@link JsonSyntaxError} (V8 names
 * the offset of the bad character, or none at the end of the input).
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (e) {
    const message = (e as Error).message
    const position = /at position (\d+)/.exec(message)
    const { line, column } = locate(text, position ? Number(position[1]) : text.length)
    throw new JsonSyntaxError(line, column, message.replace(/\s*(in JSON )?at position \d+.*$/, "").replace(/ \(line \d+ column \d+\)$/, ""))
  }
}
