/**
 * The one error class of `@keraspect/viz`. Every failure caused by bad input
 * (empty data, shapes that do not fit, unknown chart kinds or colormaps, bad
 * options) throws a `VizError` whose message names the thing, quotes the value
 * and says what to do.
 */
export class VizError extends Error {
  /** Always `"VizError"`, so the class survives serialization and bundling. */
  override readonly name = 'VizError';

  /**
   * @param message - what went wrong, with the offending value and the fix.
   */
  constructor(message: string) {
    super(message);
  }
}
