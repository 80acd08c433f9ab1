/** Bad input on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** The command failed and has already said why: exit with this code, print nothing more. */
export class ReportedFailure extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
