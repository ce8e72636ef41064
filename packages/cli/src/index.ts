/**
 * @remotemedia/cli: the `remotemedia` command line. `remotemedia run` runs a
 * manifest, a Python script or a Python `module:attr` pipeline, reading items
 * as JSON and printing each output as one JSON line; `remotemedia validate`
 * checks a manifest. {@link main} is the command line as a function;
 * {@link JsonCodec} is the JSON form of binary values it reads and writes.
 *
 * @since 0.1.0
 */
export * as JsonCodec from "./JsonCodec.js"

export { CliError } from "./CliError.js"
export { main } from "./Cli.js"
