/**
 * The one error class of `@keraspect/viz`. Every failure caused by bad input (empty data, shapes
 * that do not fit, unknown chart kinds or colormaps, bad options) or by an environment that cannot
 * draw throws a `VizError` whose message names the thing, quotes the value and says what to do, and
 * whose `code` says which kind of failure it is.
 */
export class VizError extends Error {
  /** Always `"VizError"`, so the class survives serialization and bundling. */
  override readonly name = 'VizError';
  /** A stable machine-readable reason, for programs that branch on the kind of failure. */
  readonly code: VizErrorCode;

  /**
   * @param message - what went wrong, with the offending value and the fix.
   * @param code - the kind of failure; default `'BAD_DATA'` (data that does not fit the chart).
   */
  constructor(message: string, code: VizErrorCode = 'BAD_DATA') {
    super(message);
    this.code = code;
  }
}

/**
 * Reasons a `VizError` is thrown: `BAD_DATA` (data that does not fit the chart: empty, wrong shape
 * or type, labels that do not match), `BAD_OPTION` (an option's value), `UNKNOWN_CHART`,
 * `UNKNOWN_COLORMAP`, `FIGURE_SIZE` (a figure too large, or too small for its panels), `NO_CANVAS`
 * (the environment cannot draw or has no font).
 */
export type VizErrorCode =
  | 'BAD_DATA'
  | 'BAD_OPTION'
  | 'UNKNOWN_CHART'
  | 'UNKNOWN_COLORMAP'
  | 'FIGURE_SIZE'
  | 'NO_CANVAS';
