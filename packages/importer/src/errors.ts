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
  | 'READER_UNAVAILABLE'
  /** Keraspect itself failed (a bug): never blamed on the file. */
  | 'INTERNAL';

/**
 * An unexpected error (not a `KeraspectError`) caught while doing `what`, as an `INTERNAL` error that
 * says so: the file is not blamed, the cause is kept.
 */
export function internalError(what: string, e: unknown): KeraspectError {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new KeraspectError(
    'INTERNAL',
    `Keraspect failed while ${what} (${msg.slice(0, 200)}). This is a bug — in Keraspect, or in a layer or function you registered — not a problem with your file: please report it, with the file if you can share it.`,
    { cause: e },
  );
}

/** Shorthand used across the package: `fail('CODE', 'message')`. */
export function fail(code: KeraspectErrorCode, message: string, cause?: unknown): never {
  throw new KeraspectError(code, message, cause === undefined ? undefined : { cause });
}
