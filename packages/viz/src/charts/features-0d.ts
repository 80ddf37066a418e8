import { type OptionSpecs, t } from '@keraspect/array';
import { seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, toNdArray } from '../ndarray.ts';
import { legendSize } from '../render/legend.ts';
import { indexTicks, niceTicks, padRange } from '../scale.ts';
import { type AxisSpec, type FigureOptions, figureOptionSpecs, type FigureSpec, type Layer } from '../spec.ts';
import { theme, xAxisSpace, yAxisSpace } from '../theme.ts';
import { finishFigure, oneOf, planGrid, startFigure } from './common.ts';

/** Options of the `features0D` chart. */
export interface Features0DOptions extends FigureOptions {
  /** `'line'`: markers joined across channels; `'scatter'`: markers only. Default `'line'`. */
  mode?: 'line' | 'scatter';
  /** Draw the y = 0 line. Default true. */
  showYZero?: boolean;
  /** Sample names for the legend. Default `sample 0`, … */
  sampleLabels?: readonly string[];
  /** x-axis title. Default `"Channels"`. */
  xLabel?: string;
  /** y-axis title. Default `"Value"`. */
  yLabel?: string;
  /** Marker radius in CSS px. Default 2.5 (1.5 for more than 10 samples). */
  markerRadius?: number;
}

/** The description of {@link Features0DOptions}. */
export const features0DOptionSpecs: OptionSpecs<Features0DOptions> = {
  ...figureOptionSpecs,
  mode: {
    type: t.enum(['line', 'scatter']),
    doc: "'line' joins the markers across channels; 'scatter' markers only",
    default: 'line',
  },
  showYZero: { type: t.boolean, doc: 'draw the y = 0 line', default: true },
  sampleLabels: { type: t.list(t.string), doc: 'sample names for the legend', defaultDoc: 'sample 0, …' },
  xLabel: { type: t.string, doc: 'x-axis title', default: 'Channels' },
  yLabel: { type: t.string, doc: 'y-axis title', default: 'Value' },
  markerRadius: {
    type: t.number({ min: 0 }),
    doc: 'marker radius in CSS pixels',
    defaultDoc: '2.5 (1.5 for more than 10 samples)',
  },
};

/** Input of `features0D`: `(C)` for one sample or `(B, C)` — e.g. a `return_sequences=False` layer output. */
export type Features0DData = ArrayInput;

/**
 * One value per channel across samples (see-rnn's `features_0D`): x is the
 * channel index, y the value, one marked line per sample. NaN values are
 * skipped (gaps).
 */
export function features0DSpec(data: Features0DData, options: Features0DOptions = {}): FigureSpec {
  let t = toNdArray(data, 'features0D data');
  if (t.shape.length === 1) t = { data: t.data, shape: [1, t.shape[0]!] };
  if (t.shape.length !== 2) {
    throw new VizError(
      `features0D data must be (C) or (B, C); got shape [${t.shape.join(', ')}]. For sequences use features1D.`,
    );
  }
  const [B, C] = t.shape as [number, number];
  if (options.sampleLabels && options.sampleLabels.length !== B) {
    throw new VizError(
      `features0D sampleLabels has ${options.sampleLabels.length} names but the data has ${B} samples.`,
    );
  }
  const mode = oneOf('mode', options.mode, ['line', 'scatter'], 'line');
  const e = finiteExtent(t.data) ?? [-1, 1];
  let [lo, hi] = padRange(e[0], e[1]);
  const pad = (hi - lo) * 0.08;
  lo = lo - pad;
  hi = hi + pad;
  const b = startFigure(options, { width: 720, height: 380 });
  const fs = b.fig.fontSize;
  const xLabel = options.xLabel ?? 'Channels';
  const yLabel = options.yLabel ?? 'Value';
  const showLegend = B >= 2 && B <= 10;
  const items = showLegend
    ? Array.from({ length: B }, (_, k) => ({
        label: options.sampleLabels?.[k] ?? `sample ${k}`,
        color: seriesColor(k),
        swatch: 'line' as const,
      }))
    : [];
  const yAxis: AxisSpec = {
    min: lo,
    max: hi,
    ticks: niceTicks(lo, hi, 6),
    showTickLabels: true,
    label: yLabel,
    grid: true,
  };
  const xAxisBase: AxisSpec = {
    min: -0.5,
    max: C - 0.5,
    ticks: indexTicks(C, 12),
    showTickLabels: true,
    label: xLabel,
  };
  const legendW = showLegend ? legendSize(items, fs).width + 12 : 0;
  const grid = planGrid(b, 1, {
    aspect: 2,
    left: yAxisSpace(yAxis, fs),
    innerLeft: 0,
    bottom: xAxisSpace(xAxisBase, fs),
    innerBottom: 0,
    title: 0,
    right: legendW,
  });
  const r = grid.rects[0]!;
  const layers: Layer[] = [];
  if ((options.showYZero ?? true) && lo < 0 && hi > 0)
    layers.push({ type: 'rule', orientation: 'h', value: 0, color: theme.zeroColor, width: 1, dash: [3, 2] });
  const radius = options.markerRadius ?? (B > 10 ? 1.5 : 2.5);
  const xs = Array.from({ length: C }, (_, i) => i);
  for (let k = 0; k < B; k++) {
    layers.push({
      type: 'line',
      x: xs,
      y: Array.from(t.data.subarray(k * C, (k + 1) * C)),
      color: seriesColor(k),
      width: B > 10 ? 0.8 : 1.2,
      markerRadius: radius,
      connect: mode === 'line',
    });
  }
  b.panels.push({
    ...r,
    xAxis: { ...xAxisBase, ticks: indexTicks(C, Math.max(2, Math.floor(r.width / 40))) },
    yAxis,
    layers,
  });
  if (showLegend) b.legends.push({ x: r.x + r.width + 12, y: r.y, items });
  return finishFigure('features0D', b);
}
