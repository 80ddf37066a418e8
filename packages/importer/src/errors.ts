/**
 * The one error class of `@keraspect/importer`. Every failure the importer can foresee — a file that
 * is not HDF5, a config it cannot read, an unknown layer, weights that do not fit — is thrown as an
 * `ImporterError` whose message names the thing and says what to do.
 */
export class ImporterError extends Error {
  override readonly name = 'ImporterError';
  /** A stable machine-readable reason, for programs that branch on the kind of failure. */
  readonly code: ImporterErrorCode;

  constructor(code: ImporterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Reasons an `ImporterError` is thrown. */
export type ImporterErrorCode =
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
  /** A function or layer you supplied (a Lambda's function, a `defineLayer` definition) threw. */
  | 'PLUGIN'
  /** The HDF5 reader thread (a worker) could not start: an installation or bundling problem, never the file's. */
  | 'READER_UNAVAILABLE'
  /** Keraspect itself failed (a bug): never blamed on the file. */
  | 'INTERNAL';

/**
 * An unexpected error (not an `ImporterError`) caught while doing `what`, as an `INTERNAL` error that
 * says so: the file is not blamed, the cause is kept.
 */
export function internalError(what: string, e: unknown): ImporterError {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new ImporterError(
    'INTERNAL',
    `Keraspect failed while ${what} (${msg.slice(0, 200)}). This is a bug — in Keraspect, or in a layer or function you registered — not a problem with your file: please report it, with the file if you can share it.`,
    { cause: e },
  );
}

/**
 * @deprecated The importer's error class is `ImporterError` (the project's name was the package's);
 * `KeraspectError` is the same class under its old name, kept so that `instanceof KeraspectError`
 * and `catch` code written for it keep working. Its `name` is now `'ImporterError'`.
 */
export const KeraspectError = ImporterError;
/** @deprecated See {@link ImporterError}. */
export type KeraspectError = ImporterError;
/** @deprecated Use {@link ImporterErrorCode}. */
export type KeraspectErrorCode = ImporterErrorCode;

/** Shorthand used across the package: `fail('CODE', 'message')`. */
export function fail(code: ImporterErrorCode, message: string, cause?: unknown): never {
  throw new ImporterError(code, message, cause === undefined ? undefined : { cause });
}
