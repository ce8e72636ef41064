// Cli: the `remotemedia` command line — parses the arguments, dispatches to run / validate, prints failures, returns the exit code.
import { readFileSync } from "node:fs"
import { parseArgs, type ParseArgsOptionsConfig } from "node:util"
import { CliError, usageError } from "./CliError.js"
import { describeFailure, exitCodeOf } from "./Failure.js"
import { mainHelp, runHelp, validateHelp } from "./Help.js"
import { host } from "./host.js"
import { runCommand } from "./Run.js"
import { validateCommand } from "./Validate.js"

const version = (): string =>
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { readonly version: string }).version

const help = { type: "boolean", short: "h" } as const

/** Node's parseArgs, its errors (unknown option, missing value) turned into usage errors. */
const parse = <O extends ParseArgsOptionsConfig>(args: ReadonlyArray<string>, options: O) => {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (e) {
    throw usageError((e as Error).message)
  }
}

const run = async (args: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = parse(args, {
    transport: { type: "string" },
    input: { type: "string", multiple: true },
    "input-file": { type: "string" },
    config: { type: "string" },
    metrics: { type: "boolean" },
    verbose: { type: "boolean" },
    help
  })
  if (values.help === true) return printHelp(runHelp)
  const [target, ...rest] = positionals
  if (target === undefined) throw usageError("run needs a target: a manifest (*.json), a Python script (*.py) or module:attr")
  return runCommand({
    target,
    args: rest,
    transport: values.transport,
    inputs: values.input ?? [],
    inputFile: values["input-file"],
    configFile: values.config,
    metrics: values.metrics === true,
    verbose: values.verbose === true
  })
}

const validate = async (args: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = parse(args, { help })
  if (values.help === true) return printHelp(validateHelp)
  if (positionals.length !== 1) throw usageError("validate takes one manifest file")
  return validateCommand(positionals[0]!, process.cwd())
}

const printHelp = (text: string): number => {
  process.stdout.write(text)
  return 0
}

const commands: Readonly<Record<string, (args: ReadonlyArray<string>) => Promise<number>>> = { run, validate, host }

/**
 * Runs the `remotemedia` command line with `argv` (the arguments after the
 * executable) and resolves to the process exit code: 0 success, 1 failure
 * (printed on stderr: the message, a Python traceback when Python raised, the
 * JavaScript stack only with `--verbose`), 2 usage error, 130 interrupted.
 * Outputs go to stdout. It never rejects.
 *
 * @category commands
 * @since 0.1.0
 */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [command, ...args] = argv
  try {
    if (command === "-h" || command === "--help") return printHelp(mainHelp)
    if (command === "-V" || command === "--version") return printHelp(`${version()}\n`)
    if (command === undefined) throw usageError("no command given")
    const handler = commands[command]
    if (handler === undefined) throw usageError(`unknown command '${command}'`)
    return await handler(args)
  } catch (e) {
    process.stderr.write(describeFailure(e, argv.includes("--verbose")))
    if (e instanceof CliError && e.exitCode === 2) {
      const about = command !== undefined && command in commands ? `${command} --help` : "--help"
      process.stderr.write(`Run 'remotemedia ${about}' for usage.\n`)
    }
    return exitCodeOf(e)
  }
}
