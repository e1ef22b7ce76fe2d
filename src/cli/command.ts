/** What every CLI command module exports. */
export interface CliCommand {
  readonly name: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for bad options. */
  run(argv: readonly string[]): Promise<number>;
}

/** Bad command-line usage: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
