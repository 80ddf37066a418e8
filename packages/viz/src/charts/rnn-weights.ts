import { type OptionSpecs, t } from '@keraspect/array';
import { type ColormapName, colormapNames } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, maxAbs, type DenseArray, toNdArray } from '../ndarray.ts';
import { countTicks, indexTicks, niceTicks, padRange } from '../scale.ts';
import { type AxisSpec, type FigureOptions, figureOptionSpecs, type FigureSpec, type Layer } from '../spec.ts';
import { theme, titleSpace, xAxisSpace, yAxisSpace } from '../theme.ts';
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
import { binValues } from './histogram.ts';

/** Recurrent cell type; decides the gates and their order in the kernels. */
export type RnnCell = 'LSTM' | 'GRU';

/** Gate names per cell, in Keras' kernel column order. */
export const rnnGates: Record<RnnCell, readonly string[]> = {
  LSTM: ['i', 'f', 'c', 'o'],
  GRU: ['z', 'r', 'h'],
};

/** Input of `rnnWeights`: the cell type and the layer's weights in Keras `get_weights()` order. */
export interface RnnWeightsData {
  /** `'LSTM'` (gates i, f, c, o; 4U columns) or `'GRU'` (gates z, r, h; 3U columns). */
  readonly cell: RnnCell;
  /**
   * `[kernel (F, gU), recurrent_kernel (U, gU), bias (gU)]`, bias optional;
   * for a `Bidirectional` wrapper the forward triple then the backward one
   * (4 or 6 arrays). A GRU bias may be `(2, 3U)` (`reset_after=True`).
   */
  readonly weights: readonly ArrayInput[];
}

/** Options of the `rnnWeights` chart. */
export interface RnnWeightsOptions extends FigureOptions {
  /** `'heatmap'` (default): kernels with gate separators; `'histogram'`: one histogram per gate and matrix. */
  mode?: 'heatmap' | 'histogram';
  /** Heatmap colormap. Default `'bwr'`, symmetric about 0. */
  colormap?: ColormapName;
  /** Histogram bins. Default 40. */
  bins?: number;
}

/** The description of {@link RnnWeightsOptions}. */
export const rnnWeightsOptionSpecs: OptionSpecs<RnnWeightsOptions> = {
  ...figureOptionSpecs,
  mode: {
    type: t.enum(['heatmap', 'histogram']),
    doc: "'heatmap' kernels with gate separators; 'histogram' one histogram per gate and matrix",
    default: 'heatmap',
  },
  colormap: { type: t.enum(colormapNames), doc: 'heatmap colormap (symmetric about 0)', default: 'bwr' },
  bins: { type: t.integer({ min: 1 }), doc: 'histogram bins', default: 40 },
};

interface Direction {
  name: string;
  kernel: DenseArray;
  recurrent: DenseArray;
  bias?: DenseArray;
}

function parseWeights(d: RnnWeightsData): { gates: readonly string[]; units: number; dirs: Direction[] } {
  if (typeof d !== 'object' || d === null || !Array.isArray(d.weights)) {
    throw new VizError('rnnWeights data must be { cell: "LSTM" | "GRU", weights: [kernel, recurrent_kernel, bias?] }.');
  }
  if (!Object.hasOwn(rnnGates, d.cell))
    throw new VizError(`rnnWeights cell must be 'LSTM' or 'GRU'; got ${JSON.stringify(d.cell)}.`);
  const gates = rnnGates[d.cell];
  const ws = d.weights.map((w, i) => toNdArray(w, `rnnWeights weights[${i}]`));
  let groups: DenseArray[][];
  if (ws.length === 2 || ws.length === 3) groups = [ws];
  else if (ws.length === 4) groups = [ws.slice(0, 2), ws.slice(2)];
  else if (ws.length === 6) groups = [ws.slice(0, 3), ws.slice(3)];
  else {
    throw new VizError(
      `rnnWeights weights has ${ws.length} arrays; expected 2 or 3 ([kernel, recurrent_kernel, bias?]) or 4 or 6 for a Bidirectional layer (forward then backward).`,
    );
  }
  const g = gates.length;
  let units = -1;
  const dirs = groups.map((grp, k) => {
    const name = groups.length === 1 ? '' : k === 0 ? 'Forward' : 'Backward';
    const [kernel, recurrent, bias] = grp as [DenseArray, DenseArray, DenseArray | undefined];
    const expect = (cond: boolean, what: string, t: DenseArray, shape: string) => {
      if (!cond) {
        throw new VizError(
          `rnnWeights ${name ? `${name.toLowerCase()} ` : ''}${what} has shape [${t.shape.join(', ')}]; a ${d.cell} with U units needs ${shape} (gates ${gates.join(', ')}). Check the cell type and the weights order [kernel, recurrent_kernel, bias].`,
        );
      }
    };
    expect(kernel.shape.length === 2 && kernel.shape[1]! % g === 0, 'kernel', kernel, `(F, ${g}U)`);
    const U = kernel.shape[1]! / g;
    expect(
      recurrent.shape.length === 2 && recurrent.shape[0] === U && recurrent.shape[1] === g * U,
      'recurrent_kernel',
      recurrent,
      `(${U}, ${g * U})`,
    );
    if (bias)
      expect(
        bias.shape[bias.shape.length - 1] === g * U && bias.shape.length <= 2,
        'bias',
        bias,
        `(${g * U}) or (2, ${g * U})`,
      );
    if (units >= 0 && U !== units)
      throw new VizError(`rnnWeights directions disagree: forward has ${units} units, backward ${U}.`);
    units = U;
    return { name, kernel, recurrent, ...(bias ? { bias } : {}) };
  });
  return { gates, units, dirs };
}

/**
 * LSTM/GRU kernels per gate (see-rnn's `rnn_heatmap` / `rnn_histogram`):
 * heatmaps of kernel and recurrent kernel with gate separators and gate
 * names on top, or histograms per gate; forward and backward directions of a
 * Bidirectional layer in separate rows.
 */
export function rnnWeightsSpec(data: RnnWeightsData, options: RnnWeightsOptions = {}): FigureSpec {
  const { gates, units, dirs } = parseWeights(data);
  const mode = oneOf('mode', options.mode, ['heatmap', 'histogram'], 'heatmap');
  return mode === 'heatmap'
    ? heatmapSpec(data.cell, gates, units, dirs, options)
    : histogramsSpec(data.cell, gates, units, dirs, options);
}

function heatmapSpec(
  cell: RnnCell,
  gates: readonly string[],
  U: number,
  dirs: Direction[],
  options: RnnWeightsOptions,
): FigureSpec {
  const colormap = checkColormap(options.colormap ?? 'bwr');
  const m = Math.max(...dirs.flatMap((d) => [maxAbs(d.kernel.data), maxAbs(d.recurrent.data)])) || 1;
  const [vmin, vmax] = [-m, m];
  const b = startFigure({ title: `${cell} weights`, ...options }, { width: 980 });
  const fs = b.fig.fontSize;
  const g = gates.length;
  const gateAxis = (label: string | undefined): AxisSpec => ({
    min: 0,
    max: g * U,
    ticks: gates.map((name, i) => ({ value: (i + 0.5) * U, label: name })),
    showTickLabels: true,
    opposite: true,
    ...(label ? { label } : {}),
  });
  const yProbe: AxisSpec = {
    min: 0,
    max: 1,
    ticks: indexTicks(Math.max(dirs[0]!.kernel.shape[0]!, U), 6),
    showTickLabels: true,
    label: 'Input features',
  };
  const cbLabel = 'Weight';
  const grid = planGrid(b, dirs.length * 2, {
    aspect: 1.5,
    maxColumns: 2,
    left: yAxisSpace(yProbe, fs),
    innerLeft: yAxisSpace(yProbe, fs),
    bottom: 6,
    innerBottom: 6,
    title: titleSpace('x', fs) + xAxisSpace(gateAxis(undefined), fs),
    right: colorbarSpace(vmin, vmax, cbLabel, fs),
    minPanelHeight: 140,
    maxPanelHeight: 380,
  });
  dirs.forEach((d, k) => {
    (
      [
        ['kernel', d.kernel, 'Input features'],
        ['recurrent kernel', d.recurrent, 'Units'],
      ] as const
    ).forEach(([what, t, yl], j) => {
      const r = grid.rects[k * 2 + j]!;
      const [rows, cols] = t.shape as [number, number];
      const layers: Layer[] = [
        {
          type: 'heatmap',
          rows,
          cols,
          values: t.data,
          colormap,
          vmin,
          vmax,
          x0: 0,
          x1: cols,
          y0: 0,
          y1: rows,
          nanColor: theme.nanColor,
        },
      ];
      for (let i = 1; i < g; i++)
        layers.push({ type: 'rule', orientation: 'v', value: i * U, color: '#111111', width: 1.5 });
      b.panels.push({
        ...r,
        xAxis: gateAxis(undefined),
        yAxis: {
          min: 0,
          max: rows,
          reversed: true,
          ticks: indexTicks(rows, Math.max(2, Math.floor(r.height / 30)), 0.5),
          showTickLabels: true,
          label: yl,
        },
        layers,
        title: `${d.name ? `${d.name} ` : ''}${what} (${rows}×${cols})`,
      });
    });
  });
  const first = grid.rects[0]!;
  const right = Math.max(...grid.rects.map((r) => r.x + r.width));
  b.colorbars.push(
    colorbarBeside({ x: right, y: first.y, width: 0, height: first.height }, colormap, vmin, vmax, cbLabel),
  );
  return finishFigure('rnnWeights', b);
}

function gateSlice(t: DenseArray, gate: number, U: number): Float64Array {
  const cols = t.shape[t.shape.length - 1]!;
  const rows = t.data.length / cols;
  const out = new Float64Array(rows * U);
  for (let r = 0; r < rows; r++) for (let u = 0; u < U; u++) out[r * U + u] = t.data[r * cols + gate * U + u]!;
  return out;
}

function histogramsSpec(
  cell: RnnCell,
  gates: readonly string[],
  U: number,
  dirs: Direction[],
  options: RnnWeightsOptions,
): FigureSpec {
  const bins = intOption('bins', options.bins, 40);
  const mats = dirs.flatMap((d) => [
    { name: `${d.name ? `${d.name} ` : ''}kernel`, t: d.kernel },
    { name: `${d.name ? `${d.name} ` : ''}recurrent`, t: d.recurrent },
    ...(d.bias ? [{ name: `${d.name ? `${d.name} ` : ''}bias`, t: d.bias }] : []),
  ]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const mm of mats) {
    const e = finiteExtent(mm.t.data);
    if (e) {
      lo = Math.min(lo, e[0]);
      hi = Math.max(hi, e[1]);
    }
  }
  [lo, hi] = padRange(lo <= hi ? lo : -1, lo <= hi ? hi : 1);
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const g = gates.length;
  const b = startFigure({ title: `${cell} weight distributions`, ...options }, { width: 980 });
  const fs = b.fig.fontSize;
  const xTicks = niceTicks(lo, hi, 4);
  const xAxis: AxisSpec = { min: lo, max: hi, ticks: xTicks, showTickLabels: true };
  const yProbe: AxisSpec = { min: 0, max: 1, ticks: niceTicks(0, 1000, 4), showTickLabels: true, label: 'kernel' };
  const grid = planGrid(b, mats.length * g, {
    aspect: 2,
    maxColumns: g,
    left: yAxisSpace(yProbe, fs),
    innerLeft: 0,
    bottom: xAxisSpace(xAxis, fs),
    innerBottom: xAxisSpace(xAxis, fs),
    title: titleSpace('x', fs),
    right: 0,
    minPanelHeight: 70,
    maxPanelHeight: 220,
  });
  mats.forEach((mm, row) => {
    const counts = gates.map((_, gi) => binValues(gateSlice(mm.t, gi, U), bins, lo, hi).counts);
    const top = Math.max(1, ...counts.flat()) * 1.1;
    gates.forEach((gate, gi) => {
      const r = grid.rects[row * g + gi]!;
      b.panels.push({
        ...r,
        xAxis: { ...xAxis, ticks: niceTicks(lo, hi, Math.max(2, Math.floor(r.width / 60))) },
        yAxis: {
          min: 0,
          max: top,
          ticks: countTicks(top, 3),
          showTickLabels: gi === 0,
          grid: true,
          ...(gi === 0 ? { label: mm.name } : {}),
        },
        layers: [
          { type: 'bars', edges, heights: counts[gi]!, color: gateColor(gi), alpha: 0.85, base: 0 },
          { type: 'rule', orientation: 'v', value: 0, color: theme.zeroColor, width: 1, dash: [3, 2] },
        ],
        ...(row === 0 ? { title: `gate ${gate}` } : {}),
      });
    });
  });
  return finishFigure('rnnWeights', b);
}

function gateColor(i: number): string {
  return ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'][i % 4]!;
}
