/**
 * How a command stops: one line on stderr, `prodops: <message>`, and an exit code scripts can
 * rely on. 2 means the command line was wrong (nothing was attempted); 1 means the command was
 * understood but refused or failed (a workflow said no, a server did not answer, a dry run
 * would not pass).
 */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    /** True when the command has already printed why: exit with the code, print nothing more. */
    readonly reported = false,
  ) {
    super(message);
  }

  /** Bad input on the command line: the flag and the problem, exit 2. */
  static usage(message: string): CliError {
    return new CliError(message, EXIT_USAGE);
  }

  /** Understood, but refused or failed: exit 1. */
  static failure(message: string): CliError {
    return new CliError(message, EXIT_FAILURE);
  }

  /** The command has said why already (a verdict, a list of problems): only the exit code is left. */
  static reported(exitCode: number): CliError {
    return new CliError(`exit ${exitCode}`, exitCode, true);
  }
}
