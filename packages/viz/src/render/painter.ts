/** Text placement for {@link Painter.text}. */
export interface TextStyle {
  readonly size: number;
  readonly bold?: boolean;
  readonly color: string;
  readonly align: 'left' | 'center' | 'right';
  /** Where `y` sits: top of capitals, middle of capitals, or below descenders. */
  readonly baseline: 'top' | 'middle' | 'bottom';
  /** Degrees, clockwise, about (x, y). */
  readonly rotate?: number;
}

/**
 * The drawing surface both back ends implement (canvas → PNG, string → SVG).
 * Coordinates are CSS pixels; the back end applies the device scale.
 */
export interface Painter {
  /** Device pixels per CSS pixel. */
  readonly scale: number;
  /**
   * Cells per CSS pixel worth keeping for {@link Painter.cells}: bigger
   * matrices are subsampled (nearest) to this before colouring, which is
   * what the pixels would show anyway.
   */
  readonly cellResolution: number;
  fillRect(x: number, y: number, w: number, h: number, color: string, opacity?: number): void;
  strokeRect(x: number, y: number, w: number, h: number, color: string, width: number): void;
  /** An open polyline (no NaN inside; the caller splits at gaps). */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, width: number, dash?: readonly number[]): void;
  circle(x: number, y: number, r: number, color: string): void;
  text(s: string, x: number, y: number, style: TextStyle): void;
  /**
   * Draw `cols × rows` RGBA cells into the rectangle, nearest-neighbour (no
   * smoothing), so each cell stays a crisp block.
   */
  cells(rgba: Uint8ClampedArray, cols: number, rows: number, x: number, y: number, w: number, h: number): void;
  /** Restrict drawing to a rectangle until {@link Painter.unclip}. */
  clip(x: number, y: number, w: number, h: number): void;
  unclip(): void;
}

/**
 * Baseline offset (as a fraction of the font size) from the requested anchor
 * to the alphabetic baseline, for DejaVu Sans (cap height 0.73 em, descent 0.24 em).
 * Both back ends use alphabetic baselines so PNG and SVG text sit alike.
 */
export function baselineShift(baseline: TextStyle['baseline']): number {
  return baseline === 'top' ? 0.73 : baseline === 'middle' ? 0.365 : -0.24;
}
