/**
 * CliError: a failure the command line reports as it is, one readable line
 * on stderr (no stack), with the exit code it ends the process with.
 *
 * @since 0.1.0
 */

/**
 * A failure of the command itself (bad usage, unreadable file, bad input
 * line). `exitCode` is 2 for usage errors and 1 otherwise.
 *
 * @category errors
 * @since 0.1.0
 */
export class CliError extends Error {
  override readonly name = "CliError"
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message)
  }
}

/**
 * A usage error (unknown command or option, missing argument): exit code 2.
 *
 * @category constructors
 * @since 0.1.0
 */
export const usageError = (message: string): CliError => new CliError(message, 2)
