import { getColormap, type ColormapName } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { finiteExtent, maxAbs } from '../ndarray.ts';
import { chooseGrid, gridRects, type Rect, resolveFigure, snap } from '../layout.ts';
import { indexTicks, niceTicks, padRange } from '../scale.ts';
import type {
  AxisSpec,
  ChartKind,
  ColorbarSpec,
  FigureOptions,
  FigureSpec,
  FigureText,
  LegendSpec,
  PanelSpec,
  ResolvedFigure,
} from '../spec.ts';
import { figureTitleSpace, theme, yAxisSpace } from '../theme.ts';

/** A figure under construction: charts push panels, colorbars, legends and texts into it. */
export interface FigureBuilder {
  readonly fig: ResolvedFigure;
  readonly panels: PanelSpec[];
  readonly colorbars: ColorbarSpec[];
  readonly legends: LegendSpec[];
  readonly texts: FigureText[];
  /** Top of the content area, below the figure title. */
  readonly top: number;
  /** True when the height is to be chosen from the grid (no `height` option, no fixed default). */
  readonly autoHeight: boolean;
}

/** Start a figure: resolve options and place the figure title. */
export function startFigure(options: FigureOptions, defaults: { width: number; height?: number }): FigureBuilder {
  const autoHeight = options.height === undefined && defaults.height === undefined;
  const fig = resolveFigure(options, { width: defaults.width, height: defaults.height ?? 400 });
  const texts: FigureText[] = [];
  if (fig.title) {
    texts.push({
      x: fig.width / 2,
      y: theme.outerMargin,
      text: fig.title,
      size: theme.figureTitleSize(fig.fontSize),
      bold: true,
      align: 'center',
      baseline: 'top',
    });
  }
  return {
    fig,
    panels: [],
    colorbars: [],
    legends: [],
    texts,
    top: theme.outerMargin + figureTitleSpace(fig.title, fig.fontSize),
    autoHeight,
  };
}

/** Freeze a builder into a {@link FigureSpec}. */
export function finishFigure(kind: ChartKind, b: FigureBuilder): FigureSpec {
  const { fig } = b;
  const spec: FigureSpec = {
    kind,
    width: fig.width,
    height: fig.height,
    scale: fig.scale,
    ...(fig.dpi !== undefined ? { dpi: fig.dpi } : {}),
    background: fig.background,
    fontSize: fig.fontSize,
    panels: b.panels,
    colorbars: b.colorbars,
    legends: b.legends,
    texts: b.texts,
  };
  return spec;
}

/**
 * How a heatmap's values map onto its colormap:
 * - `[vmin, vmax]`: as given; either end may be `null` (taken from the data), as matplotlib's `vmin`/`vmax`;
 * - `'data'` or `null` (the seed answer's `norm=None`): the data's [min, max], shared by all panels;
 * - `'symmetric'`: ±max|x|, so 0 sits at the middle of a diverging map;
 * - `'auto'`: `'symmetric'` for diverging colormaps (bwr, seismic), else `'data'`;
 * - `'none'`: each panel its own [min, max].
 */
export type Norm = readonly [number | null, number | null] | 'data' | 'symmetric' | 'auto' | 'none' | null;

const NORMS = "'data', 'symmetric', 'auto', 'none', null or [vmin, vmax]";

/** Resolve a `norm` option to [vmin, vmax] for the given values (`'none'` gives these values' own range). */
export function resolveNorm(norm: Norm, colormap: ColormapName, values: ArrayLike<number>): [number, number] {
  const extent = () => {
    const e = finiteExtent(values) ?? [0, 1];
    return padRange(e[0], e[1]);
  };
  if (Array.isArray(norm)) {
    const [lo, hi] = norm as [number | null, number | null];
    const ok = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
    if (norm.length !== 2 || !ok(lo) || !ok(hi)) {
      throw new VizError(`Option \`norm\` must be ${NORMS}; got ${JSON.stringify(norm)}.`, 'BAD_OPTION');
    }
    const [dlo, dhi] = lo === null || hi === null ? extent() : [lo, hi];
    const r: [number, number] = [lo ?? dlo, hi ?? dhi];
    if (!(r[1] > r[0])) {
      throw new VizError(
        `Option \`norm\` needs vmin < vmax; got ${JSON.stringify(norm)}${lo === null || hi === null ? ` (the data gives [${r.join(', ')}])` : ''}.`,
        'BAD_OPTION',
      );
    }
    return r;
  }
  if (norm !== null && norm !== 'data' && norm !== 'symmetric' && norm !== 'auto' && norm !== 'none') {
    throw new VizError(`Option \`norm\` must be ${NORMS}; got ${JSON.stringify(norm)}.`, 'BAD_OPTION');
  }
  if (norm === 'symmetric' || (norm === 'auto' && getColormap(colormap).diverging)) {
    const m = maxAbs(values) || 1;
    return [-m, m];
  }
  return extent();
}

/** Validate a colormap name option (throws the registry's VizError). */
export function checkColormap(name: string): ColormapName {
  return getColormap(name).name;
}

/** Ticks for a colorbar of [vmin, vmax], about one per 40 px. */
export function colorbarTicks(vmin: number, vmax: number, height: number): ReturnType<typeof niceTicks> {
  return niceTicks(vmin, vmax, Math.max(2, Math.min(8, Math.floor(height / 40))));
}

/** Check an integer option is ≥ `min`. */
export function intOption(name: string, v: number | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < min)
    throw new VizError(`Option \`${name}\` must be an integer ≥ ${min}; got ${String(v)}.`, 'BAD_OPTION');
  return v;
}

/** Check a value is one of the allowed strings. */
export function oneOf<T extends string>(name: string, v: T | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v))
    throw new VizError(
      `Option \`${name}\` must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(v)}.`,
      'BAD_OPTION',
    );
  return v;
}

/** Space around a grid of panels, CSS px. */
export interface GridSpacing {
  /** Width/height wanted for each panel. */
  aspect: number;
  maxColumns?: number | undefined;
  maxRows?: number | undefined;
  /**
   * Space between panels as a fraction of the panel size (matplotlib's `wspace`/`hspace`, 0.2 for
   * `plt.subplots`), when larger than the fixed gaps. Default 0.
   */
  gapFraction?: number;
  /** A grid fixed by the chart (e.g. the seed answer's divisor rule); overrides the choice from `aspect`. */
  grid?: { cols: number; rows: number } | undefined;
  /** Left of the first column (y ticks, labels). */
  left: number;
  /** Between columns beyond the plain gap (y ticks of inner columns when not shared). */
  innerLeft: number;
  /** Below the bottom row. */
  bottom: number;
  /** Between rows beyond the plain gap (x ticks of inner rows when not shared). */
  innerBottom: number;
  /** Above each panel (panel titles). */
  title: number;
  /** Right of the grid (colorbar, legend). */
  right: number;
  /** Auto height: panel height limits. */
  minPanelHeight?: number;
  maxPanelHeight?: number;
}

/**
 * Lay out `n` panels in a grid that fills the figure, choosing columns so each
 * panel is close to `aspect`; when the figure has no height yet, choose it
 * from the panels. Returns snapped panel rectangles, row-major.
 */
export function planGrid(b: FigureBuilder, n: number, g: GridSpacing): { rects: Rect[]; cols: number; rows: number } {
  const gap = 10;
  const m = theme.outerMargin;
  const areaW = b.fig.width - m * 2 - g.left - g.right;
  let cols: number;
  let rows: number;
  if (b.autoHeight) {
    const guessRows = (c: number) => (g.grid ? g.grid.rows : Math.ceil(n / c));
    if (g.grid) cols = g.grid.cols;
    else if (g.maxColumns !== undefined) cols = Math.min(n, g.maxColumns);
    else {
      // Columns near the ideal √(n · 1.5 / aspect), scored by distance (log) plus a small cost per empty cell.
      const ideal = Math.sqrt((n * 1.5) / g.aspect);
      const score = (c: number) => Math.abs(Math.log(c / ideal)) + 0.08 * (Math.ceil(n / c) * c - n);
      cols = 1;
      for (let c = Math.max(1, Math.floor(ideal) - 1); c <= Math.min(n, Math.ceil(ideal) + 1); c++)
        if (score(c) < score(cols)) cols = c;
    }
    if (g.maxRows !== undefined && !g.grid) while (guessRows(cols) > g.maxRows && cols < n) cols++;
    rows = guessRows(cols);
    const pw = (areaW - (cols - 1) * (gap + g.innerLeft)) / cols;
    const ph = Math.max(g.minPanelHeight ?? 40, Math.min(g.maxPanelHeight ?? 320, pw / g.aspect));
    const natural = b.top + rows * (ph + g.title) + (rows - 1) * (gap + g.innerBottom) + g.bottom + m;
    b.fig.height = Math.ceil(natural * b.fig.scaleHeight);
  } else {
    const areaH = b.fig.height - b.top - m - g.bottom;
    const grid = g.grid ?? chooseGrid(n, { width: areaW, height: areaH }, g.aspect, g.maxColumns, g.maxRows);
    cols = grid.cols;
    rows = grid.rows;
  }
  const area = {
    x: m + g.left,
    y: b.top + g.title,
    width: areaW,
    height: b.fig.height - b.top - m - g.bottom - g.title,
  };
  if (area.width < 8 || area.height < 8) {
    throw new VizError(
      `The figure (${b.fig.width}×${b.fig.height} px) leaves no room for panels. Increase width/height or lower fontSize.`,
      'FIGURE_SIZE',
    );
  }
  const f = g.gapFraction ?? 0;
  const hgap = Math.max(gap + g.innerLeft, (f * area.width) / (cols + f * (cols - 1)));
  const vgap = Math.max(gap + g.innerBottom + g.title, (f * area.height) / (rows + f * (rows - 1)));
  const rects = gridRects(area, cols, rows, hgap, vgap).slice(0, n).map(snap);
  return { rects, cols, rows };
}

/** Axes for a `rows × cols` matrix drawn image-style: row 0 on top, ticks on cell centres. */
export function matrixAxes(
  rows: number,
  cols: number,
  rect: Rect,
  o: { xLabel?: string | undefined; yLabel?: string | undefined; xTickLabels?: boolean; yTickLabels?: boolean },
): { xAxis: AxisSpec; yAxis: AxisSpec } {
  const xAxis: AxisSpec = {
    min: 0,
    max: cols,
    ticks: indexTicks(cols, Math.max(2, Math.min(10, Math.floor(rect.width / 45))), 0.5),
    showTickLabels: o.xTickLabels ?? true,
    ...(o.xLabel ? { label: o.xLabel } : {}),
  };
  const yAxis: AxisSpec = {
    min: 0,
    max: rows,
    reversed: true,
    ticks: indexTicks(rows, Math.max(2, Math.min(10, Math.floor(rect.height / 30))), 0.5),
    showTickLabels: o.yTickLabels ?? true,
    ...(o.yLabel ? { label: o.yLabel } : {}),
  };
  return { xAxis, yAxis };
}

/** Horizontal space a colorbar with these ticks and label takes, including its gap. */
export function colorbarSpace(vmin: number, vmax: number, label: string | undefined, fontSize: number): number {
  const ticks = niceTicks(vmin, vmax, 6);
  return Math.ceil(
    14 + 14 + yAxisSpace({ min: vmin, max: vmax, ticks, showTickLabels: true, ...(label ? { label } : {}) }, fontSize),
  );
}

/** A colorbar to the right of `rect`. */
export function colorbarBeside(
  rect: Rect,
  colormap: ColormapName,
  vmin: number,
  vmax: number,
  label?: string,
): ColorbarSpec {
  const height = rect.height;
  return {
    x: rect.x + rect.width + 14,
    y: rect.y,
    width: 14,
    height,
    colormap,
    vmin,
    vmax,
    ticks: colorbarTicks(vmin, vmax, height),
    ...(label ? { label } : {}),
  };
}
