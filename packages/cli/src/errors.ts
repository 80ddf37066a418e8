/**
 * Reasons a `CliError` is thrown: `USAGE` (a bad command line: flag, value, combination),
 * `INPUT_FILE` (a data file that is missing or cannot be read as an array), `NOT_APPLICABLE` (the
 * command does not apply to this model, e.g. `attention` on a model without attention layers).
 */
export type CliErrorCode = 'USAGE' | 'INPUT_FILE' | 'NOT_APPLICABLE';

/**
 * The one error class of `@keraspect/cli`: a usage error (bad flag, missing or unreadable file),
 * printed without a stack; exit code 2 unless it says otherwise.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** A stable machine-readable reason. */
  readonly code: CliErrorCode;
  /** The process exit code the CLI returns for it. */
  readonly exitCode: number;

  constructor(message: string, options: { code?: CliErrorCode; exitCode?: number } = {}) {
    super(message);
    this.code = options.code ?? 'USAGE';
    this.exitCode = options.exitCode ?? 2;
  }
}
