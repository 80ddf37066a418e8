import { seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, moveAxis, resolveAxis, toTensor } from '../ndarray.ts';
import { downsampleMinMax, indexTicks, niceTicks, padRange } from '../scale.ts';
import type { AxisSpec, FigureOptions, FigureSpec, Layer, LineLayer } from '../spec.ts';
import { legendSize } from '../render/legend.ts';
import { theme, xAxisSpace, yAxisSpace } from '../theme.ts';
import { finishFigure, intOption, oneOf, planGrid, startFigure } from './common.ts';

/** Options of the `features1D` chart. */
export interface Features1DOptions extends FigureOptions {
  /** Which axis holds channels (negative counts from the end). Default -1 (last: `(B, T, C)`). */
  channelAxis?: number;
  /** One panel per channel (curves = samples) or per sample (curves = channels). Default `'channel'`. */
  subplotsBy?: 'channel' | 'sample';
  /** Plot only the first N timesteps. Default: all. */
  maxTimesteps?: number;
  /** Draw at most this many panels (the rest are noted in the figure). Default 100. */
  maxPanels?: number;
  /** Grid columns at most. Default: chosen so panels fill the figure. */
  maxColumns?: number;
  /** Grid rows at most. Default: unlimited. */
  maxRows?: number;
  /**
   * One shared y range for all panels, symmetric ±max|x| (or [0, max] when no
   * value is negative), for fair comparison; tick labels only on the outer
   * panels. `false`: each panel fits its own data. Default true.
   */
  equateAxes?: boolean;
  /** Draw the y = 0 line. Default true. */
  showYZero?: boolean;
  /** Channel names (length C). Default `ch 0`, `ch 1`, … */
  channelLabels?: readonly string[];
  /** Sample names (length B). Default `sample 0`, … */
  sampleLabels?: readonly string[];
  /** Shared x-axis title. Default `"Timesteps"`. */
  xLabel?: string;
  /** Shared y-axis title. Default none. */
  yLabel?: string;
  /** Curve width in CSS px. Default 1.25. */
  lineWidth?: number;
  /** Show a legend when there are 2–10 curves per panel. Default true. */
  legend?: boolean;
}

/** Input of `features1D`: `(T)`, `(T, C)` or `(B, T, C)` (see `channelAxis`). */
export type Features1DData = ArrayInput;

/**
 * Per-channel line grid (see-rnn's `features_1D`): one panel per channel (or
 * sample), time on x, value on y, one curve per sample. Long series are
 * downsampled per pixel column keeping each column's min and max. NaN values
 * leave gaps in the curves and are ignored when fitting ranges.
 */
export function features1DSpec(data: Features1DData, options: Features1DOptions = {}): FigureSpec {
  const t = toTensor(data, 'features1D data');
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
  const equate = options.equateAxes ?? true;
  const showZero = options.showYZero ?? true;
  const lineWidth = options.lineWidth ?? 1.25;
  const maxPanels = intOption('maxPanels', options.maxPanels, 100);
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
  const channelName = (c: number) => options.channelLabels?.[c] ?? (C === 1 ? '' : `ch ${c}`);
  const sampleName = (b: number) => options.sampleLabels?.[b] ?? `sample ${b}`;

  // series(panel, curve) -> values over time
  const nPanelsAll = by === 'channel' ? C : B;
  const nCurves = by === 'channel' ? B : C;
  const nPanels = Math.min(nPanelsAll, maxPanels);
  const series = (panel: number, curve: number): Float64Array => {
    const [b, c] = by === 'channel' ? [curve, panel] : [panel, curve];
    const out = new Float64Array(T);
    const base = b * Tfull * C + c;
    for (let i = 0; i < T; i++) out[i] = x.data[base + i * C]!;
    return out;
  };

  const b = startFigure(options, { width: 900 });
  const fs = b.fig.fontSize;
  const curveNames = Array.from({ length: nCurves }, (_, k) =>
    by === 'channel' ? sampleName(k) : channelName(k) || `ch ${k}`,
  );
  const showLegend = (options.legend ?? true) && nCurves >= 2 && nCurves <= 10;
  const legendItems = showLegend
    ? curveNames.map((label, k) => ({ label, color: seriesColor(k), swatch: 'line' as const }))
    : [];
  const legendW = showLegend ? legendSize(legendItems, fs).width + 10 : 0;

  // Ranges: one shared, or one per panel.
  const allSeries: Float64Array[][] = [];
  for (let p = 0; p < nPanels; p++) {
    const row: Float64Array[] = [];
    for (let k = 0; k < nCurves; k++) row.push(series(p, k));
    allSeries.push(row);
  }
  const panelRange = (p: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of allSeries[p]!) {
      const e = finiteExtent(s);
      if (e) {
        lo = Math.min(lo, e[0]);
        hi = Math.max(hi, e[1]);
      }
    }
    return lo <= hi ? [lo, hi] : [-1, 1];
  };
  let shared: [number, number] | undefined;
  if (equate) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < nPanels; p++) {
      const [a, c] = panelRange(p);
      lo = Math.min(lo, a);
      hi = Math.max(hi, c);
    }
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    shared = lo >= 0 ? [0, hi * 1.05 || 1] : [-m * 1.05, m * 1.05];
  }
  const rangeOf = (p: number): [number, number] => {
    if (shared) return shared;
    const [lo, hi] = padRange(...panelRange(p));
    const pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  };

  // Provisional axes to measure tick-label space.
  const probeY: AxisSpec = {
    min: 0,
    max: 1,
    ticks: niceTicks(...(shared ?? [-1000.5, 1000.5]), 5),
    showTickLabels: true,
  };
  const ySpace = yAxisSpace(probeY, fs);
  const xProbe: AxisSpec = { min: 0, max: T, ticks: [], showTickLabels: true };
  const xSpace = xAxisSpace(xProbe, fs);
  const xLabel = options.xLabel ?? 'Timesteps';
  const labelH = theme.labelSize(fs) * 1.2 + theme.labelPad;
  const grid = planGrid(b, nPanels, {
    aspect: nPanels === 1 ? 2.6 : 2.2,
    maxColumns: options.maxColumns,
    maxRows: options.maxRows,
    left: ySpace + (options.yLabel ? labelH : 0),
    innerLeft: equate ? 0 : ySpace,
    bottom: xSpace + (xLabel ? labelH : 0),
    innerBottom: 0,
    title: 0,
    right: legendW,
    minPanelHeight: 48,
    maxPanelHeight: 300,
  });

  for (let p = 0; p < nPanels; p++) {
    const r = grid.rects[p]!;
    const col = p % grid.cols;
    const isBottom = p + grid.cols >= nPanels;
    const [ymin, ymax] = rangeOf(p);
    const yTicks = niceTicks(ymin, ymax, Math.max(3, Math.min(6, Math.floor(r.height / 22))));
    const xTicks = indexTicks(T, Math.max(2, Math.min(10, Math.floor(r.width / 55))));
    const layers: Layer[] = [];
    if (showZero && ymin < 0 && ymax > 0)
      layers.push({ type: 'rule', orientation: 'h', value: 0, color: theme.zeroColor, width: 1, dash: [3, 2] });
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
    b.panels.push({
      ...r,
      xAxis: { min: 0, max: Math.max(1, T - 1), ticks: xTicks, showTickLabels: isBottom },
      yAxis: { min: ymin, max: ymax, ticks: yTicks, showTickLabels: !equate || col === 0 },
      layers,
      label: by === 'channel' ? channelName(p) : sampleName(p),
    });
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
