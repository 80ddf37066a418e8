/**
 * The one error class of `@keraspect/explain`. Every failure explain can foresee — an unknown
 * method or layer, a target outside the output, an input of the wrong shape, a layer an LRP rule
 * does not cover — is thrown as an `ExplainError` whose message names the thing, quotes the value
 * and says what to do.
 */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
  /** A stable machine-readable reason, for programs that branch on the kind of failure. */
  readonly code: ExplainErrorCode;

  constructor(code: ExplainErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Reasons an `ExplainError` is thrown. */
export type ExplainErrorCode =
  | 'UNKNOWN_METHOD'
  | 'UNKNOWN_LAYER'
  | 'BAD_TARGET'
  | 'BAD_OPTION'
  | 'INPUT_SHAPE'
  | 'NOT_DIFFERENTIABLE'
  | 'UNSUPPORTED_LAYER';

/** Shorthand used across the package: `fail('CODE', 'message')`. */
export function fail(code: ExplainErrorCode, message: string, cause?: unknown): never {
  throw new ExplainError(code, message, cause === undefined ? undefined : { cause });
}
