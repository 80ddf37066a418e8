import { type OptionSpecs, t } from '@keraspect/array';
import { seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { divisorGrid } from '../layout.ts';
import { type ArrayInput, finiteExtent, moveAxis, resolveAxis, toNdArray } from '../ndarray.ts';
import { legendSize } from '../render/legend.ts';
import { autoscaleRange, downsampleMinMax, indexTicks, niceTicks } from '../scale.ts';
import {
  type AxisSpec,
  type FigureOptions,
  figureOptionSpecs,
  type FigureSpec,
  type Layer,
  type LineLayer,
} from '../spec.ts';
import { theme, xAxisSpace, yAxisSpace } from '../theme.ts';
import { finishFigure, intOption, oneOf, planGrid, startFigure } from './common.ts';

/**
 * Options of the `features1D` chart. The defaults draw the picture of the seed answer's
 * `show_features_1D` (the Stack Overflow answer on visualizing keras-self-attention, whose code
 * became see-rnn): its grid rule, no shared y range, a red y = 0 line, bold green 1-based channel
 * numbers and no axes. Options named after the answer's arguments (`maxTimesteps`, `maxColSubplots`,
 * `equateAxes`, `showYZero`, `channelAxis`, `scaleWidth`/`scaleHeight`, `dpi`) mean what they mean there.
 */
export interface Features1DOptions extends FigureOptions {
  /** Which axis holds channels (negative counts from the end); the answer's `channel_axis`. Default -1 (last: `(B, T, C)`). */
  channelAxis?: number;
  /** One panel per channel (curves = samples) or per sample (curves = channels). Default `'channel'`. */
  subplotsBy?: 'channel' | 'sample';
  /** Plot only the first N timesteps (the answer's `max_timesteps`, whose default there is 100). Default: all. */
  maxTimesteps?: number;
  /**
   * The answer's `max_col_subplots` grid rule: rows = the largest divisor of the panel count that is
   * at most this, columns = count / rows (60 channels → 10 rows × 6 columns, 16 → 8 × 2, 13 → 1 × 13;
   * the bound falls on the rows, exactly as the answer's code draws it). Used unless `maxColumns` or
   * `maxRows` is given. Default 10.
   */
  maxColSubplots?: number;
  /** Instead of the divisor rule: at most this many columns, panels shaped to fill the figure. */
  maxColumns?: number;
  /** Instead of the divisor rule: at most this many rows (with `maxColumns` or alone). */
  maxRows?: number;
  /** Draw at most this many panels (the rest are noted in the figure). Default: all. */
  maxPanels?: number;
  /**
   * One y range for all panels, symmetric around 0: ±max|y| over every panel's autoscaled range
   * (data, and 0 with `showYZero`, plus 5% margins), as the answer's `equate_axes`; tick labels then
   * only on the first column when `axes` is on. `false`: each panel fits its own data. Default false.
   */
  equateAxes?: boolean;
  /**
   * Draw the y = 0 line (solid, `zeroColor`), and extend every panel's range to include 0 so the line
   * always shows (the answer's `show_y_zero`). Default true.
   */
  showYZero?: boolean;
  /** Color of the y = 0 line. Default `'#ff0000'` (matplotlib's `'red'`). */
  zeroColor?: string;
  /**
   * Draw the panel frames, ticks and tick labels. Default false: the answer's `ax.axis('off')`, which
   * shows only the curves, the zero line and the channel numbers.
   */
  axes?: boolean;
  /** Label each panel above its top-left corner (bold, `labelColor`). Default true. */
  labelChannels?: boolean;
  /** Color of the panel labels. Default `'#008000'` (matplotlib's `'g'`). */
  labelColor?: string;
  /** Channel names (length C) for the panel labels. Default the 1-based numbers `1`, `2`, … as in the answer. */
  channelLabels?: readonly string[];
  /** Sample names (length B) for legends and sample panels. Default `sample 0`, … */
  sampleLabels?: readonly string[];
  /** Shared x-axis title. Default `"Timesteps"` with `axes`, none without. */
  xLabel?: string;
  /** Shared y-axis title. Default none. */
  yLabel?: string;
  /** Width in CSS px of the curves and the zero line. Default 1.25. */
  lineWidth?: number;
  /** Show a legend when there are 2–10 curves per panel. Default true. */
  legend?: boolean;
}

/** The description of {@link Features1DOptions}. */
export const features1DOptionSpecs: OptionSpecs<Features1DOptions> = {
  ...figureOptionSpecs,
  channelAxis: { type: t.integer(), doc: 'axis holding the channels (negative counts from the end)', default: -1 },
  subplotsBy: {
    type: t.enum(['channel', 'sample']),
    doc: 'one panel per channel (curves = samples) or per sample (curves = channels)',
    default: 'channel',
  },
  maxTimesteps: { type: t.integer({ min: 1 }), doc: 'plot only the first N timesteps', defaultDoc: 'all' },
  maxColSubplots: {
    type: t.integer({ min: 1 }),
    doc: 'grid rule of the seed answer: rows = the largest divisor of the panel count up to this (unless maxColumns or maxRows)',
    default: 10,
  },
  maxColumns: { type: t.integer({ min: 1 }), doc: 'instead of the divisor rule: grid columns at most' },
  maxRows: { type: t.integer({ min: 1 }), doc: 'instead of the divisor rule: grid rows at most' },
  maxPanels: { type: t.integer({ min: 1 }), doc: 'draw at most this many panels', defaultDoc: 'all' },
  equateAxes: { type: t.boolean, doc: 'one y range for all panels, symmetric around 0', default: false },
  showYZero: { type: t.boolean, doc: 'draw the y = 0 line and include 0 in every panel', default: true },
  zeroColor: { type: t.string, doc: 'color of the y = 0 line (CSS color)', default: '#ff0000' },
  axes: { type: t.boolean, doc: 'draw the panel frames, ticks and tick labels', default: false },
  labelChannels: { type: t.boolean, doc: 'label each panel above its top-left corner', default: true },
  labelColor: { type: t.string, doc: 'color of the panel labels (CSS color)', default: '#008000' },
  channelLabels: { type: t.list(t.string), doc: 'channel names (one per channel)', defaultDoc: '1, 2, …' },
  sampleLabels: { type: t.list(t.string), doc: 'sample names (one per sample)', defaultDoc: 'sample 0, …' },
  xLabel: { type: t.string, doc: 'shared x-axis title', defaultDoc: 'Timesteps with axes, none without' },
  yLabel: { type: t.string, doc: 'shared y-axis title' },
  lineWidth: { type: t.positive(), doc: 'width of the curves and the zero line in CSS pixels', default: 1.25 },
  legend: { type: t.boolean, doc: 'show a legend when there are 2–10 curves per panel', default: true },
};

/** Input of `features1D`: `(T)`, `(T, C)` or `(B, T, C)` (see `channelAxis`). */
export type Features1DData = ArrayInput;

/** Default figure: 900 × 600 CSS px, the 3 : 2 of the answer's 24 × 16 inch figure. */
const WIDTH = 900;

/**
 * Per-channel line grid (the seed answer's `show_features_1D`, see-rnn's `features_1D`): one panel
 * per channel (or sample), time on x over [0, T], value on y, one curve per sample. Long series are
 * downsampled per pixel column keeping each column's min and max. NaN values leave gaps in the
 * curves and are ignored when fitting ranges.
 */
export function features1DSpec(data: Features1DData, options: Features1DOptions = {}): FigureSpec {
  const t = toNdArray(data, 'features1D data');
  const rank = t.shape.length;
  if (rank < 1 || rank > 3) {
    throw new VizError(
      `features1D data must be (T), (T, C) or (B, T, C); got shape [${t.shape.join(', ')}]. Select a sample or reshape first.`,
    );
  }
  // Normalize to (B, T, C).
  let x = t;
  if (rank === 1) x = { data: t.data, shape: [1, t.shape[0]!, 1] };
  else if (rank === 2) {
    const ca = resolveAxis(options.channelAxis ?? -1, 2, 'features1D channelAxis');
    x = moveAxis(t, ca, 1);
    x = { data: x.data, shape: [1, ...x.shape] };
  } else {
    const ca = resolveAxis(options.channelAxis ?? -1, 3, 'features1D channelAxis');
    if (ca === 0)
      throw new VizError(
        'features1D channelAxis cannot be 0 for (B, T, C) data: axis 0 is the batch. Use 1 or 2 (-1).',
      );
    x = moveAxis(t, ca, 2);
  }
  const [B, Tfull, C] = x.shape as [number, number, number];
  const T = Math.min(Tfull, intOption('maxTimesteps', options.maxTimesteps, Tfull));
  const by = oneOf('subplotsBy', options.subplotsBy, ['channel', 'sample'], 'channel');
  const equate = options.equateAxes ?? false;
  const showZero = options.showYZero ?? true;
  const axes = options.axes ?? false;
  const lineWidth = options.lineWidth ?? 1.25;
  const maxColSubplots = intOption('maxColSubplots', options.maxColSubplots, 10);
  if (options.channelLabels && options.channelLabels.length !== C) {
    throw new VizError(
      `features1D channelLabels has ${options.channelLabels.length} names but the data has ${C} channels. Pass one name per channel.`,
    );
  }
  if (options.sampleLabels && options.sampleLabels.length !== B) {
    throw new VizError(
      `features1D sampleLabels has ${options.sampleLabels.length} names but the data has ${B} samples. Pass one name per sample.`,
    );
  }
  const channelName = (c: number) => options.channelLabels?.[c] ?? String(c + 1);
  const sampleName = (b: number) => options.sampleLabels?.[b] ?? `sample ${b}`;

  // series(panel, curve) -> values over time
  const nPanelsAll = by === 'channel' ? C : B;
  const nCurves = by === 'channel' ? B : C;
  const nPanels = Math.min(nPanelsAll, intOption('maxPanels', options.maxPanels, nPanelsAll));
  const series = (panel: number, curve: number): Float64Array => {
    const [b, c] = by === 'channel' ? [curve, panel] : [panel, curve];
    const out = new Float64Array(T);
    const base = b * Tfull * C + c;
    for (let i = 0; i < T; i++) out[i] = x.data[base + i * C]!;
    return out;
  };

  // A given width keeps the answer's 3 : 2 figure.
  const b = startFigure(options, { width: WIDTH, height: Math.round(((options.width ?? WIDTH) * 2) / 3) });
  const fs = b.fig.fontSize;
  const curveNames = Array.from({ length: nCurves }, (_, k) => (by === 'channel' ? sampleName(k) : channelName(k)));
  const showLegend = (options.legend ?? true) && nCurves >= 2 && nCurves <= 10;
  const legendItems = showLegend
    ? curveNames.map((label, k) => ({ label, color: seriesColor(k), swatch: 'line' as const }))
    : [];
  const legendW = showLegend ? legendSize(legendItems, fs).width + 10 : 0;

  // Ranges as matplotlib autoscales them: the data (and 0 when the zero line is drawn), plus 5%.
  const allSeries: Float64Array[][] = [];
  for (let p = 0; p < nPanels; p++) {
    const row: Float64Array[] = [];
    for (let k = 0; k < nCurves; k++) row.push(series(p, k));
    allSeries.push(row);
  }
  const dataExtent = (p: number): [number, number] | undefined => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of allSeries[p]!) {
      const e = finiteExtent(s);
      if (e) {
        lo = Math.min(lo, e[0]);
        hi = Math.max(hi, e[1]);
      }
    }
    if (showZero) {
      lo = Math.min(lo, 0);
      hi = Math.max(hi, 0);
    }
    return lo <= hi ? [lo, hi] : undefined;
  };
  let shared: [number, number] | undefined;
  if (equate) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < nPanels; p++) {
      const e = dataExtent(p);
      if (e) {
        lo = Math.min(lo, e[0]);
        hi = Math.max(hi, e[1]);
      }
    }
    const [a, z] = lo <= hi ? autoscaleRange(lo, hi) : [-1, 1];
    const m = Math.max(Math.abs(a), Math.abs(z));
    shared = [-m, m];
  }
  const rangeOf = (p: number): [number, number] => {
    if (shared) return shared;
    const e = dataExtent(p);
    return e ? autoscaleRange(e[0], e[1]) : [-1, 1];
  };

  // Space for ticks and labels (none without axes).
  const probeY: AxisSpec = {
    min: 0,
    max: 1,
    ticks: niceTicks(...(shared ?? [-1000.5, 1000.5]), 5),
    showTickLabels: true,
  };
  const ySpace = axes ? yAxisSpace(probeY, fs) : 0;
  const xSpace = axes ? xAxisSpace({ min: 0, max: T, ticks: [], showTickLabels: true }, fs) : 0;
  const xLabel = options.xLabel ?? (axes ? 'Timesteps' : undefined);
  const labelH = theme.labelSize(fs) * 1.2 + theme.labelPad;
  const labelSize = Math.round(fs * 1.4 * 10) / 10;
  const labelled = options.labelChannels ?? true;
  const useDivisor = options.maxColumns === undefined && options.maxRows === undefined;
  const grid = planGrid(b, nPanels, {
    aspect: nPanels === 1 ? 2.6 : 2.2,
    maxColumns: options.maxColumns,
    maxRows: options.maxRows,
    grid: useDivisor ? divisorGrid(nPanels, maxColSubplots) : undefined,
    gapFraction: axes ? 0 : 0.2,
    left: ySpace + (options.yLabel ? labelH : 0),
    innerLeft: axes && !equate ? ySpace : 0,
    bottom: xSpace + (xLabel ? labelH : 0),
    innerBottom: 0,
    title: labelled ? Math.ceil(labelSize * 1.1) : 0,
    right: legendW,
    minPanelHeight: 48,
    maxPanelHeight: 300,
  });

  const none = { ticks: [], showTickLabels: false } as const;
  for (let p = 0; p < nPanels; p++) {
    const r = grid.rects[p]!;
    const col = p % grid.cols;
    const isBottom = p + grid.cols >= nPanels;
    const [ymin, ymax] = rangeOf(p);
    const layers: Layer[] = [];
    if (showZero)
      layers.push({
        type: 'rule',
        orientation: 'h',
        value: 0,
        color: options.zeroColor ?? '#ff0000',
        width: lineWidth,
      });
    const columns = Math.max(1, Math.round(r.width * b.fig.scale));
    allSeries[p]!.forEach((s, k) => {
      const d = downsampleMinMax(s, columns);
      const line: LineLayer = {
        type: 'line',
        x: d.x,
        y: d.y,
        color: nCurves === 1 ? '#1f77b4' : seriesColor(k),
        width: lineWidth,
      };
      layers.push(line);
    });
    const xAxis: AxisSpec = axes
      ? {
          min: 0,
          max: T,
          ticks: indexTicks(T, Math.max(2, Math.min(10, Math.floor(r.width / 55)))),
          showTickLabels: isBottom,
        }
      : { min: 0, max: T, ...none };
    const yAxis: AxisSpec = axes
      ? {
          min: ymin,
          max: ymax,
          ticks: niceTicks(ymin, ymax, Math.max(3, Math.min(6, Math.floor(r.height / 22)))),
          showTickLabels: !equate || col === 0,
        }
      : { min: ymin, max: ymax, ...none };
    b.panels.push({ ...r, xAxis, yAxis, layers, ...(axes ? {} : { frame: false }) });
    if (labelled) {
      // The answer annotates at axes fraction (0, 0.99), baseline there: the number sits on the panel's top edge.
      b.texts.push({
        x: r.x,
        y: r.y + r.height * 0.01,
        text: by === 'channel' ? channelName(p) : sampleName(p),
        size: labelSize,
        bold: true,
        color: options.labelColor ?? '#008000',
        align: 'left',
        baseline: 'bottom',
      });
    }
  }
  const m = theme.outerMargin;
  const gridLeft = m + ySpace + (options.yLabel ? labelH : 0);
  const gridRight = b.fig.width - m - legendW;
  if (xLabel) {
    b.texts.push({
      x: (gridLeft + gridRight) / 2,
      y: b.fig.height - m,
      text: xLabel,
      size: theme.labelSize(fs),
      align: 'center',
      baseline: 'bottom',
    });
  }
  if (options.yLabel) {
    const top = grid.rects[0]!.y;
    const last = grid.rects[grid.rects.length - 1]!;
    const bottom = last.y + last.height;
    b.texts.push({
      x: m,
      y: (top + bottom) / 2,
      text: options.yLabel,
      size: theme.labelSize(fs),
      align: 'center',
      baseline: 'top',
      rotate: -90,
    });
  }
  if (showLegend) b.legends.push({ x: gridRight + 10, y: grid.rects[0]!.y, items: legendItems });
  if (nPanels < nPanelsAll) {
    b.texts.push({
      x: b.fig.width - m,
      y: b.fig.height - m,
      text: `showing ${nPanels} of ${nPanelsAll} ${by === 'channel' ? 'channels' : 'samples'} (maxPanels)`,
      size: theme.panelLabelSize(fs),
      align: 'right',
      baseline: 'bottom',
      color: '#666666',
    });
  }
  return finishFigure('features1D', b);
}
