import { type OptionSpecs, t } from '@keraspect/array';
import { type ColormapName, colormapNames, seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, moveAxis, resolveAxis, type DenseArray, toNdArray } from '../ndarray.ts';
import { downsampleMinMax, indexTicks, niceTicks, padRange, percentile } from '../scale.ts';
import { type AxisSpec, type FigureOptions, figureOptionSpecs, type FigureSpec, type Layer } from '../spec.ts';
import { theme, xAxisSpace, yAxisSpace } from '../theme.ts';
import {
  checkColormap,
  colorbarBeside,
  colorbarSpace,
  finishFigure,
  intOption,
  oneOf,
  planGrid,
  startFigure,
} from './common.ts';

/** Input of the `attribution` chart: an input series and attributions of the same shape. */
export interface AttributionData {
  /** The input, `(T)` or `(T, C)` (see `channelAxis`). */
  readonly series: ArrayInput;
  /** Attributions with exactly the input's shape (e.g. from `@keraspect/explain`). */
  readonly attributions: ArrayInput;
}

/** How attributions are shown, after Captum's `visualize_timeseries_attr` methods. */
export type AttributionMethod = 'overlayIndividual' | 'overlayCombined' | 'coloredGraph';

/** Which attributions count, after Captum's `sign` argument. */
export type AttributionSign = 'all' | 'positive' | 'negative' | 'absolute';

/** Options of the `attribution` chart. */
export interface AttributionOptions extends FigureOptions {
  /**
   * `'overlayIndividual'` (default): one panel per channel, its attribution as
   * the background color; `'overlayCombined'`: all channels in one panel over
   * the channel-summed attribution; `'coloredGraph'`: one panel per channel,
   * the line itself colored by attribution.
   */
  method?: AttributionMethod;
  /** `'all'` (default, diverging), `'positive'`, `'negative'` (shown as magnitude) or `'absolute'`. */
  sign?: AttributionSign;
  /**
   * Percent of the largest |attributions| treated as outliers: values are
   * scaled by the (100 − p)th percentile of |attr| and clipped to ±1.
   * Default 2, as Captum.
   */
  outlierPercentile?: number;
  /** Colormap. Default by sign: all → bwr, positive → greens, negative → reds, absolute → blues. */
  colormap?: ColormapName;
  /** Which axis of 2-D data holds channels. Default -1. */
  channelAxis?: number;
  /** Channel names. Default `ch 0`, … */
  channelLabels?: readonly string[];
  /** Background opacity for overlay methods. Default 0.7. */
  alpha?: number;
  /** Draw at most this many channel panels. Default 32. */
  maxPanels?: number;
  /** x-axis title. Default `"Timesteps"`. */
  xLabel?: string;
  /** Draw the colorbar of normalized attribution. Default true. */
  colorbar?: boolean;
}

/** The description of {@link AttributionOptions}. */
export const attributionOptionSpecs: OptionSpecs<AttributionOptions> = {
  ...figureOptionSpecs,
  method: {
    type: t.enum(['overlayIndividual', 'overlayCombined', 'coloredGraph']),
    doc: "'overlayIndividual' a panel per channel with its attribution as background; 'overlayCombined' one panel over the channel sum; 'coloredGraph' the line colored by attribution",
    default: 'overlayIndividual',
  },
  sign: {
    type: t.enum(['all', 'positive', 'negative', 'absolute']),
    doc: "which attributions: 'all' (diverging), 'positive', 'negative' (as magnitude) or 'absolute'",
    default: 'all',
  },
  outlierPercentile: {
    type: t.number({ min: 0, max: 100, exclusiveMax: true }),
    doc: 'percent of the largest |attributions| treated as outliers (scaled by the (100 − p)th percentile, clipped)',
    default: 2,
  },
  colormap: { type: t.enum(colormapNames), doc: 'colormap', defaultDoc: 'by sign: bwr, greens, reds, blues' },
  channelAxis: { type: t.integer(), doc: 'axis of 2-D data holding the channels', default: -1 },
  channelLabels: { type: t.list(t.string), doc: 'channel names', defaultDoc: 'ch 0, …' },
  alpha: { type: t.number({ min: 0, max: 1 }), doc: 'background opacity of the overlay methods', default: 0.7 },
  maxPanels: { type: t.integer({ min: 1 }), doc: 'draw at most this many channel panels', default: 32 },
  xLabel: { type: t.string, doc: 'x-axis title', default: 'Timesteps' },
  colorbar: { type: t.boolean, doc: 'draw the colorbar of normalized attribution', default: true },
};

function toTC(t: DenseArray, channelAxis: number | undefined, what: string): DenseArray {
  if (t.shape.length === 1) return { data: t.data, shape: [t.shape[0]!, 1] };
  if (t.shape.length === 2) return moveAxis(t, resolveAxis(channelAxis ?? -1, 2, `${what} channelAxis`), 1);
  throw new VizError(`${what} must be (T) or (T, C); got shape [${t.shape.join(', ')}]. Select one sample first.`);
}

/**
 * Normalize attributions as Captum does: keep the chosen sign, divide by the
 * (100 − outlierPercentile)th percentile of |attr|, clip to [−1, 1]
 * (`'all'`) or [0, 1] (the other signs, as magnitudes).
 */
export function normalizeAttributions(
  attr: ArrayLike<number>,
  sign: AttributionSign,
  outlierPercentile: number,
): Float64Array {
  const n = attr.length;
  const kept = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = attr[i]!;
    kept[i] =
      sign === 'all' ? a : sign === 'positive' ? Math.max(a, 0) : sign === 'negative' ? Math.max(-a, 0) : Math.abs(a);
  }
  const abs = kept.map(Math.abs);
  const threshold = percentile(abs, 100 - outlierPercentile) || 1;
  const lo = sign === 'all' ? -1 : 0;
  return kept.map((v) => (Number.isNaN(v) ? NaN : Math.max(lo, Math.min(1, v / threshold))));
}

/**
 * An input series with its attributions (Captum's `visualize_timeseries_attr`):
 * background colored by attribution per channel or combined, or the line
 * colored by attribution. NaN attributions are drawn in the NaN color; NaN
 * inputs break the line.
 */
export function attributionSpec(data: AttributionData, options: AttributionOptions = {}): FigureSpec {
  if (typeof data !== 'object' || data === null || !('series' in data) || !('attributions' in data)) {
    throw new VizError(
      'attribution data must be { series, attributions } with the same shape. Pass the input and its attributions.',
    );
  }
  const xs = toNdArray(data.series, 'attribution series');
  const as = toNdArray(data.attributions, 'attribution attributions');
  if (xs.shape.join(',') !== as.shape.join(',')) {
    throw new VizError(
      `attribution attributions have shape [${as.shape.join(', ')}] but the series has shape [${xs.shape.join(', ')}]. They must match: attributions are per input value.`,
    );
  }
  const x = toTC(xs, options.channelAxis, 'attribution series');
  const a = toTC(as, options.channelAxis, 'attribution attributions');
  const [T, C] = x.shape as [number, number];
  const method = oneOf(
    'method',
    options.method,
    ['overlayIndividual', 'overlayCombined', 'coloredGraph'],
    'overlayIndividual',
  );
  const sign = oneOf('sign', options.sign, ['all', 'positive', 'negative', 'absolute'], 'all');
  const outlier = options.outlierPercentile ?? 2;
  if (!(outlier >= 0 && outlier < 100))
    throw new VizError(`Option \`outlierPercentile\` must be in [0, 100); got ${outlier}.`, 'BAD_OPTION');
  const colormap = checkColormap(
    options.colormap ?? ({ all: 'bwr', positive: 'greens', negative: 'reds', absolute: 'blues' } as const)[sign],
  );
  const [vmin, vmax] = sign === 'all' ? [-1, 1] : [0, 1];
  const alpha = options.alpha ?? 0.7;
  if (options.channelLabels && options.channelLabels.length !== C) {
    throw new VizError(
      `attribution channelLabels has ${options.channelLabels.length} names but the data has ${C} channels.`,
    );
  }
  const name = (c: number) => options.channelLabels?.[c] ?? (C === 1 ? '' : `ch ${c}`);
  const column = (t: DenseArray, c: number) => {
    const out = new Float64Array(T);
    for (let i = 0; i < T; i++) out[i] = t.data[i * C + c]!;
    return out;
  };
  // Normalize over all channels together so panels are comparable.
  let norm: Float64Array;
  let combined: Float64Array | undefined;
  if (method === 'overlayCombined') {
    const summed = new Float64Array(T);
    for (let i = 0; i < T; i++) for (let c = 0; c < C; c++) summed[i]! += a.data[i * C + c]!;
    combined = normalizeAttributions(summed, sign, outlier);
    norm = new Float64Array(0);
  } else {
    norm = normalizeAttributions(a.data, sign, outlier);
  }
  const nPanels = method === 'overlayCombined' ? 1 : Math.min(C, intOption('maxPanels', options.maxPanels, 32));
  const showCb = options.colorbar ?? true;
  const cbLabel =
    sign === 'all' ? 'Attribution (normalized)' : `|${sign === 'absolute' ? '' : `${sign} `}attribution| (normalized)`;
  const b = startFigure(options, { width: 900 });
  const fs = b.fig.fontSize;
  const xLabel = options.xLabel ?? 'Timesteps';
  const probeY: AxisSpec = { min: -1000.5, max: 1000.5, ticks: niceTicks(-1000.5, 1000.5, 4), showTickLabels: true };
  const xProbe: AxisSpec = { min: 0, max: T, ticks: [], showTickLabels: true, label: xLabel };
  const grid = planGrid(b, nPanels, {
    aspect: nPanels === 1 ? 3 : 5,
    maxColumns: 1,
    left: yAxisSpace(probeY, fs),
    innerLeft: 0,
    bottom: xAxisSpace(xProbe, fs),
    innerBottom: 0,
    title: 0,
    right: showCb ? colorbarSpace(vmin, vmax, cbLabel, fs) : 0,
    minPanelHeight: 60,
    maxPanelHeight: 260,
  });
  const xTicksFor = (w: number) => indexTicks(T, Math.max(2, Math.min(12, Math.floor(w / 60))));
  for (let p = 0; p < nPanels; p++) {
    const r = grid.rects[p]!;
    const curves = method === 'overlayCombined' ? Array.from({ length: C }, (_, c) => c) : [p];
    let ylo = Infinity;
    let yhi = -Infinity;
    for (const c of curves) {
      const e = finiteExtent(column(x, c));
      if (e) {
        ylo = Math.min(ylo, e[0]);
        yhi = Math.max(yhi, e[1]);
      }
    }
    if (!(ylo <= yhi)) [ylo, yhi] = [-1, 1];
    [ylo, yhi] = padRange(ylo, yhi);
    const pad = (yhi - ylo) * 0.08;
    ylo -= pad;
    yhi += pad;
    const layers: Layer[] = [];
    const columns = Math.max(1, Math.round(r.width * b.fig.scale));
    if (method !== 'coloredGraph') {
      const values = combined ?? column({ data: norm, shape: [T, C] }, p);
      layers.push({
        type: 'heatmap',
        rows: 1,
        cols: T,
        values,
        colormap,
        vmin,
        vmax,
        x0: -0.5,
        x1: T - 0.5,
        y0: ylo,
        y1: yhi,
        alpha,
        nanColor: theme.nanColor,
      });
      for (const c of curves) {
        const d = downsampleMinMax(column(x, c), columns);
        layers.push({
          type: 'line',
          x: d.x,
          y: d.y,
          color: method === 'overlayCombined' && C > 1 ? seriesColor(c) : '#1a1a1a',
          width: 1.4,
        });
      }
    } else {
      const ys = column(x, p);
      const ts = column({ data: norm, shape: [T, C] }, p).map((v) => (v - vmin) / (vmax - vmin));
      const d = colorLineDownsample(ys, ts, columns);
      // A thin grey trace under the colored line keeps low-attribution stretches visible.
      layers.push({ type: 'line', x: d.x, y: d.y, color: '#c8c8c8', width: 1 });
      layers.push({ type: 'colorLine', x: d.x, y: d.y, t: d.t, colormap, width: 2.2 });
    }
    b.panels.push({
      ...r,
      xAxis: {
        min: -0.5,
        max: T - 0.5,
        ticks: xTicksFor(r.width),
        showTickLabels: p === nPanels - 1,
        ...(p === nPanels - 1 ? { label: xLabel } : {}),
      },
      yAxis: {
        min: ylo,
        max: yhi,
        ticks: niceTicks(ylo, yhi, Math.max(2, Math.min(5, Math.floor(r.height / 28)))),
        showTickLabels: true,
      },
      layers,
      ...(method === 'overlayCombined' ? {} : name(p) ? { label: name(p) } : {}),
    });
  }
  if (showCb) {
    const first = grid.rects[0]!;
    const last = grid.rects[grid.rects.length - 1]!;
    const h = Math.min(Math.max(first.height, 140), last.y + last.height - first.y);
    b.colorbars.push(
      colorbarBeside({ x: first.x, y: first.y, width: first.width, height: h }, colormap, vmin, vmax, cbLabel),
    );
  }
  if (method === 'overlayCombined' && C > 1 && C <= 10) {
    const r = grid.rects[0]!;
    const items = Array.from({ length: C }, (_, c) => ({
      label: name(c) || `ch ${c}`,
      color: seriesColor(c),
      swatch: 'line' as const,
    }));
    b.legends.push({ x: r.x + 8, y: r.y + 8, items });
  }
  return finishFigure('attribution', b);
}

/** Downsample a colored line: per pixel column keep min and max, colored by the column's strongest |t − 0.5|. */
function colorLineDownsample(
  ys: Float64Array,
  ts: Float64Array,
  columns: number,
): { x: number[]; y: number[]; t: number[] } {
  const n = ys.length;
  if (n <= columns * 2) return { x: Array.from({ length: n }, (_, i) => i), y: Array.from(ys), t: Array.from(ts) };
  const d = downsampleMinMax(ys, columns);
  const t = d.x.map((xi) => {
    const bucket = Math.min(columns - 1, Math.floor((xi * columns) / n));
    const s = Math.floor((bucket * n) / columns);
    const e = Math.floor(((bucket + 1) * n) / columns);
    let best = ts[s]!;
    for (let i = s; i < e; i++) if (Math.abs(ts[i]! - 0.5) > Math.abs(best - 0.5)) best = ts[i]!;
    return best;
  });
  return { ...d, t };
}
