import { VizError } from './errors.ts';
import type { FigureOptions, ResolvedFigure } from './spec.ts';

/** A rectangle in CSS pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function positive(name: string, v: number | undefined, fallback: number, max = 20000): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new VizError(`Option \`${name}\` must be a positive number up to ${max}; got ${String(v)}.`, 'BAD_OPTION');
  }
  return v;
}

/**
 * Apply defaults to the figure options and validate them, once, at the edge.
 * @param defaults - per-chart default width/height (height may depend on the grid).
 */
export function resolveFigure(o: FigureOptions, defaults: { width: number; height: number }): ResolvedFigure {
  const dpi = o.dpi === undefined ? undefined : positive('dpi', o.dpi, 96, 2400);
  const scale = positive('scale', o.scale, dpi ? dpi / 96 : 1, 16);
  const scaleWidth = positive('scaleWidth', o.scaleWidth, 1, 100);
  const scaleHeight = positive('scaleHeight', o.scaleHeight, 1, 100);
  const width = Math.round(positive('width', o.width, defaults.width) * scaleWidth);
  const height = Math.round(positive('height', o.height, defaults.height) * scaleHeight);
  if (width > 20000 || height > 20000) {
    throw new VizError(
      `Figure of ${width}×${height} px (after scaleWidth ${scaleWidth}, scaleHeight ${scaleHeight}) is over 20000 px on a side. Lower width, height or the scale factors.`,
    );
  }
  if (width * scale * height * scale > 400e6) {
    throw new VizError(
      `Figure of ${width}×${height} px at scale ${scale} is too large (over 400 megapixels). Lower width, height or scale.`,
      'FIGURE_SIZE',
    );
  }
  const r: ResolvedFigure = {
    width,
    height,
    scaleHeight,
    scale,
    background: o.background ?? '#ffffff',
    fontSize: positive('fontSize', o.fontSize, 11, 200),
  };
  if (dpi !== undefined) r.dpi = dpi;
  if (o.title !== undefined) r.title = o.title;
  return r;
}

/**
 * Choose columns × rows for `n` panels in an area so that each panel's
 * width/height is as close as possible to `aspect`, with at most `maxColumns`
 * columns (and at most `maxRows` rows when given).
 */
export function chooseGrid(
  n: number,
  area: { width: number; height: number },
  aspect: number,
  maxColumns = Infinity,
  maxRows = Infinity,
): { cols: number; rows: number } {
  let best = { cols: 1, rows: n, score: Infinity };
  for (let cols = 1; cols <= Math.min(n, maxColumns); cols++) {
    const rows = Math.ceil(n / cols);
    if (rows > maxRows && cols < Math.min(n, maxColumns)) continue;
    const a = area.width / cols / (area.height / rows);
    const empty = rows * cols - n;
    const score = Math.abs(Math.log(a / aspect)) + empty * 0.15;
    if (score < best.score) best = { cols, rows, score };
  }
  return { cols: best.cols, rows: best.rows };
}

/**
 * The seed answer's grid (its `show_features_1D`, and see-rnn's): `rows` is the largest divisor of
 * `n` that is at most `maxColSubplots`, `cols = n / rows`. Despite the name, the bound applies to the
 * rows — 60 panels give 10 rows × 6 columns, 16 give 8 × 2, a prime 13 gives 1 × 13 — and this is the
 * picture the answer's code draws.
 */
export function divisorGrid(n: number, maxColSubplots: number): { cols: number; rows: number } {
  let rows = 1;
  for (let d = 1; d <= Math.min(n, maxColSubplots); d++) if (n % d === 0) rows = d;
  return { rows, cols: n / rows };
}

/** Rectangles of a `cols × rows` grid over `area`, row-major, with gaps between cells. */
export function gridRects(area: Rect, cols: number, rows: number, hgap: number, vgap: number): Rect[] {
  const w = (area.width - hgap * (cols - 1)) / cols;
  const h = (area.height - vgap * (rows - 1)) / rows;
  if (w < 8 || h < 8) {
    throw new VizError(
      `Panels would be ${Math.floor(w)}×${Math.floor(h)} px: too small to draw. Increase width/height or show fewer panels (maxPanels, maxColumns).`,
      'FIGURE_SIZE',
    );
  }
  const out: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      out.push({ x: area.x + c * (w + hgap), y: area.y + r * (h + vgap), width: w, height: h });
  }
  return out;
}

/** Round a rect to whole CSS pixels so frames and heatmap cells land on pixel edges. */
export function snap(r: Rect): Rect {
  const x = Math.round(r.x);
  const y = Math.round(r.y);
  return { x, y, width: Math.round(r.x + r.width) - x, height: Math.round(r.y + r.height) - y };
}
