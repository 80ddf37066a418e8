import { type OptionSpecs, t } from '@keraspect/array';
import { seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, toNdArray } from '../ndarray.ts';
import { legendSize } from '../render/legend.ts';
import { autoscaleRange, countTicks, formatNumber, niceTicks, padRange } from '../scale.ts';
import { type AxisSpec, type FigureOptions, figureOptionSpecs, type FigureSpec, type Layer } from '../spec.ts';
import { theme, titleSpace, xAxisSpace, yAxisSpace } from '../theme.ts';
import { finishFigure, intOption, oneOf, planGrid, startFigure } from './common.ts';

/** One labelled series of values for a histogram. */
export interface HistogramSeries {
  /** Legend or panel title. */
  readonly label: string;
  /** Values (any shape; flattened). */
  readonly values: ArrayInput;
}

/** Input of `histogram`: one array (any shape, flattened) or several labelled series. */
export type HistogramData = ArrayInput | readonly HistogramSeries[];

/** Options of the `histogram` chart. */
export interface HistogramOptions extends FigureOptions {
  /** Number of equal-width bins (`plt.hist(…, bins=500)` in the seed answer). Default 50. */
  bins?: number;
  /** Value range binned; values outside are not counted. Default: [min, max] of all finite values. */
  range?: readonly [number, number];
  /** Logarithmic count axis. Default false. */
  logY?: boolean;
  /** Several series: overlaid in one panel, or one panel each in a grid. Default `'overlay'`. */
  layout?: 'overlay' | 'grid';
  /**
   * Clip the N tallest bins of each series to just above the next-tallest, and
   * annotate their true counts, so a spike (e.g. at 0) does not flatten the
   * rest. Default 0 (no clipping).
   */
  clipPeaks?: number;
  /** x-axis title. Default `"Value"`. */
  xLabel?: string;
  /** y-axis title. Default `"Count"`. */
  yLabel?: string;
  /** Grid columns at most (layout `'grid'`). */
  maxColumns?: number;
}

/** The description of {@link HistogramOptions}. */
export const histogramOptionSpecs: OptionSpecs<HistogramOptions> = {
  ...figureOptionSpecs,
  bins: { type: t.integer({ min: 1 }), doc: 'number of equal-width bins', default: 50 },
  range: {
    type: t.list(t.number(), { length: 2 }),
    doc: 'value range binned [min, max]; values outside are not counted',
    defaultDoc: 'min and max of the finite values',
  },
  logY: { type: t.boolean, doc: 'logarithmic count axis', default: false },
  layout: {
    type: t.enum(['overlay', 'grid']),
    doc: 'several series overlaid in one panel or one panel each',
    default: 'overlay',
  },
  clipPeaks: {
    type: t.integer({ min: 0 }),
    doc: 'clip the N tallest bins of each series to just above the next and annotate their counts',
    default: 0,
  },
  xLabel: { type: t.string, doc: 'x-axis title', default: 'Value' },
  yLabel: { type: t.string, doc: 'y-axis title', default: 'Count' },
  maxColumns: {
    type: t.integer({ min: 1 }),
    doc: "grid columns at most (layout 'grid')",
    defaultDoc: 'chosen to fill the figure',
  },
};

function isSeriesList(d: HistogramData): d is readonly HistogramSeries[] {
  return (
    Array.isArray(d) &&
    d.length > 0 &&
    typeof d[0] === 'object' &&
    d[0] !== null &&
    !Array.isArray(d[0]) &&
    'values' in d[0]
  );
}

/** Bin finite values into `bins` equal bins over [lo, hi]; returns counts and how many were dropped (non-finite or outside). */
export function binValues(
  values: ArrayLike<number>,
  bins: number,
  lo: number,
  hi: number,
): { counts: number[]; dropped: number } {
  const counts = new Array<number>(bins).fill(0);
  let dropped = 0;
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || v < lo || v > hi) {
      dropped++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]!++;
  }
  return { counts, dropped };
}

/**
 * Histograms of one or more value sets: overlaid (translucent) or in a grid,
 * with optional log counts and clipped-peak annotation (see-rnn's
 * `hist_clipped`). Non-finite values are not counted (the spec's panel label
 * reports how many were dropped).
 */
export function histogramSpec(data: HistogramData, options: HistogramOptions = {}): FigureSpec {
  const series = isSeriesList(data)
    ? data.map((s, i) => ({ label: s.label, values: toNdArray(s.values, `histogram series ${i} ("${s.label}")`).data }))
    : [{ label: '', values: toNdArray(data as ArrayInput, 'histogram data').data }];
  const bins = intOption('bins', options.bins, 50);
  const layout = oneOf('layout', options.layout, ['overlay', 'grid'], 'overlay');
  const clipPeaks = intOption('clipPeaks', options.clipPeaks, 0, 0);
  const logY = options.logY ?? false;
  let lo: number;
  let hi: number;
  if (options.range) {
    [lo, hi] = options.range;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) {
      throw new VizError(
        `histogram range must be [min, max] with min < max; got ${JSON.stringify(options.range)}.`,
        'BAD_OPTION',
      );
    }
  } else {
    let a = Infinity;
    let z = -Infinity;
    for (const s of series) {
      const e = finiteExtent(s.values);
      if (e) {
        a = Math.min(a, e[0]);
        z = Math.max(z, e[1]);
      }
    }
    if (!(a <= z))
      throw new VizError('histogram data has no finite values. Pass data with at least one finite number.');
    [lo, hi] = padRange(a, z);
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const binned = series.map((s) => ({ ...s, ...binValues(s.values, bins, lo, hi) }));

  // Clip peaks: the N tallest bins drop to 1.15 × the next-tallest.
  const clipped = binned.map((s) => {
    const heights = [...s.counts];
    const notes: { bin: number; count: number }[] = [];
    if (clipPeaks > 0) {
      const order = heights.map((c, i) => [c, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
      const cap = (order[clipPeaks]?.[0] ?? 0) * 1.15;
      for (let k = 0; k < clipPeaks && k < order.length; k++) {
        const [c, i] = order[k]!;
        if (c > cap && cap > 0) {
          heights[i] = cap;
          notes.push({ bin: i, count: c });
        }
      }
    }
    return { ...s, heights, notes };
  });

  const groups = layout === 'grid' ? clipped.map((s) => [s]) : [clipped];
  const multi = series.length > 1;
  const b = startFigure(options, { width: layout === 'grid' && multi ? 900 : 640 });
  const fs = b.fig.fontSize;
  const xLabel = options.xLabel ?? 'Value';
  const yLabel = options.yLabel ?? 'Count';
  const yMaxOf = (g: typeof clipped) => Math.max(1, ...g.flatMap((s) => s.heights));
  const yAxisFor = (g: typeof clipped, showLabels: boolean, label?: string): AxisSpec => {
    const top = yMaxOf(g);
    if (logY) {
      const max = 10 ** Math.ceil(Math.log10(top * 1.5));
      const ticks = [];
      for (let e = 0; 10 ** e <= max; e++)
        ticks.push({ value: 10 ** e, label: 10 ** e >= 1e5 ? `1e${e}` : String(10 ** e) });
      return { min: 0.8, max, ticks, log: true, showTickLabels: showLabels, grid: true, ...(label ? { label } : {}) };
    }
    // matplotlib's 5% top margin (the bottom stays at 0, where the bars stand).
    const max = top * 1.05;
    return {
      min: 0,
      max,
      ticks: countTicks(max, 5),
      showTickLabels: showLabels,
      grid: true,
      ...(label ? { label } : {}),
    };
  };
  // The bins span [lo, hi]; the view adds matplotlib's 5% margins on both sides.
  const [xlo, xhi] = autoscaleRange(lo, hi);
  const xAxisFor = (width: number, label?: string): AxisSpec => ({
    min: xlo,
    max: xhi,
    ticks: niceTicks(xlo, xhi, Math.max(2, Math.min(8, Math.floor(width / 60)))),
    showTickLabels: true,
    ...(label ? { label } : {}),
  });
  const legendItems =
    layout === 'overlay' && multi
      ? series.map((s, i) => ({ label: s.label, color: seriesColor(i), swatch: 'box' as const }))
      : [];
  const probeY = yAxisFor(clipped, true, yLabel);
  const grid = planGrid(b, groups.length, {
    aspect: 1.6,
    maxColumns: options.maxColumns,
    left: yAxisSpace(probeY, fs),
    innerLeft: yAxisSpace({ ...probeY, label: undefined } as AxisSpec, fs),
    bottom: xAxisSpace(xAxisFor(400, xLabel), fs),
    innerBottom: xAxisSpace(xAxisFor(400), fs),
    title: layout === 'grid' && multi ? titleSpace('x', fs) : 0,
    right: 0,
    minPanelHeight: 140,
    maxPanelHeight: 420,
  });
  groups.forEach((g, k) => {
    const r = grid.rects[k]!;
    const col = k % grid.cols;
    const isBottom = k + grid.cols >= groups.length;
    const yAxis = yAxisFor(g, true, col === 0 ? yLabel : undefined);
    const layers: Layer[] = [];
    const notes: Layer[] = [];
    g.forEach((s, i) => {
      const idx = layout === 'grid' ? k : i;
      layers.push({
        type: 'bars',
        edges,
        heights: s.heights,
        color: seriesColor(idx),
        alpha: multi && layout === 'overlay' ? 0.55 : 1,
        base: yAxis.min,
      });
      for (const n of s.notes) {
        notes.push({
          type: 'text',
          x: (edges[n.bin]! + edges[n.bin + 1]!) / 2,
          y: s.heights[n.bin]!,
          text: `${n.count}`,
          color: '#b00000',
          size: theme.panelLabelSize(fs),
          bold: true,
          align: 'center',
          baseline: 'bottom',
          dy: -2,
        });
      }
    });
    // Peak counts go on top of every series' bars.
    layers.push(...notes);
    const dropped = g.reduce((a, s) => a + s.dropped, 0);
    b.panels.push({
      ...r,
      xAxis: xAxisFor(r.width, isBottom ? xLabel : undefined),
      yAxis,
      layers,
      ...(layout === 'grid' && multi ? { title: g[0]!.label } : {}),
      ...(dropped > 0 ? { label: `${formatNumber(dropped, 1)} not counted (non-finite or out of range)` } : {}),
    });
  });
  if (legendItems.length) {
    const r = grid.rects[0]!;
    const { width } = legendSize(legendItems, fs);
    b.legends.push({ x: r.x + r.width - width - 6, y: r.y + 6, items: legendItems });
  }
  return finishFigure('histogram', b);
}
