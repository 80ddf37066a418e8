/**
 * The one error class of `@keraspect/importer`. Every failure the importer can foresee — a file that
 * is not HDF5, a config it cannot read, an unknown layer, weights that do not fit — is thrown as a
 * `KeraspectError` whose message names the thing and says what to do.
 */
export class KeraspectError extends Error {
  override readonly name = 'KeraspectError';
  /** A stable machine-readable reason, for programs that branch on the kind of failure. */
  readonly code: KeraspectErrorCode;

  constructor(code: KeraspectErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Reasons a `KeraspectError` is thrown. */
export type KeraspectErrorCode =
  | 'NOT_HDF5'
  | 'NOT_KERAS'
  | 'CORRUPT_FILE'
  | 'UNKNOWN_LAYER'
  | 'UNSUPPORTED_CONFIG'
  | 'WEIGHT_MISMATCH'
  | 'INPUT_SHAPE'
  | 'LAMBDA'
  | 'BAD_ARGUMENT'
  | 'LIMIT'
  /** The HDF5 reader thread (a worker) could not start: an installation or bundling problem, never the file's. */
  | 'READER_UNAVAILABLE';

/** Shorthand used across the package: `fail('CODE', 'message')`. */
export function fail(code: KeraspectErrorCode, message: string, cause?: unknown): never {
  throw new KeraspectError(code, message, cause === undefined ? undefined : { cause });
}
