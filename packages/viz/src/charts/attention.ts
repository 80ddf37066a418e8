import { type OptionSpecs, t } from '@keraspect/array';
import { type ColormapName, colormapNames, seriesColor } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, finiteExtent, type DenseArray, toNdArray } from '../ndarray.ts';
import { padRange } from '../scale.ts';
import { type FigureOptions, figureOptionSpecs, type FigureSpec, type Layer } from '../spec.ts';
import { theme, titleSpace, xAxisSpace, yAxisSpace } from '../theme.ts';
import {
  checkColormap,
  colorbarBeside,
  colorbarSpace,
  finishFigure,
  intOption,
  matrixAxes,
  type Norm,
  planGrid,
  resolveNorm,
  startFigure,
} from './common.ts';

/** A labelled attention map, e.g. `{ label: 'rollout', values: [[…]] }` or one layer's mean over heads. */
export interface LabelledMap {
  readonly label: string;
  /** `(Tq, Tk)` attention weights. */
  readonly values: ArrayInput;
}

/**
 * Input of `attention`: a map `(T, T)`, heads `(H, T, T)`, a batch of heads
 * `(B, H, T, T)` (see `sample`), or a list of labelled maps (e.g. rollout and
 * per-layer maps side by side); optionally with the input series to draw
 * along the top and side.
 */
export type AttentionData =
  | ArrayInput
  | readonly LabelledMap[]
  | {
      /** The maps, in any of the forms above. */
      readonly maps: ArrayInput | readonly LabelledMap[];
      /** Input series `(T)` or `(T, C)`, drawn above (keys) and beside (queries) each map. */
      readonly series?: ArrayInput;
    };

/** Options of the `attention` chart. */
export interface AttentionOptions extends FigureOptions {
  /** Colormap. Default `'viridis'`. */
  colormap?: ColormapName;
  /**
   * Value range: `'auto'` (default, one range shared by all maps, one colorbar), `'none'` (each map
   * its own range and its own colorbar, so a raw map of weights near 0.04 is not washed out beside a
   * rollout near 0.5), or any other {@link Norm}.
   */
  norm?: Norm;
  /** Which sample of a `(B, H, T, T)` input. Default 0. */
  sample?: number;
  /** Maps per row at most. Default 4. */
  maxColumns?: number;
  /** Map titles (overrides labels / `head i`). */
  labels?: readonly string[];
  /** x-axis title. Default `"Key timestep"`. */
  xLabel?: string;
  /** y-axis title. Default `"Query timestep"`. */
  yLabel?: string;
  /** Colorbar title. Default `"Attention weight"`. */
  colorbarLabel?: string;
}

/** The description of {@link AttentionOptions}. */
export const attentionOptionSpecs: OptionSpecs<AttentionOptions> = {
  ...figureOptionSpecs,
  colormap: { type: t.enum(colormapNames), doc: 'colormap', default: 'viridis' },
  norm: {
    type: t.oneOf(
      t.enum(['data', 'symmetric', 'auto', 'none']),
      t.null,
      t.list(t.oneOf(t.number(), t.null), { length: 2 }),
    ),
    doc: "value range: 'auto' (or null) shared by all maps, symmetric for diverging colormaps; 'data' their [min, max]; 'symmetric' ±max|x|; 'none' each map its own scale and colorbar; or [vmin, vmax] (either may be null)",
    default: 'auto',
  },
  sample: { type: t.integer({ min: 0 }), doc: 'which sample of a (B, H, T, T) input', default: 0 },
  maxColumns: { type: t.integer({ min: 1 }), doc: 'maps per row at most', default: 4 },
  labels: { type: t.list(t.string), doc: 'map titles, one per map', defaultDoc: "the maps' labels, or head 0, …" },
  xLabel: { type: t.string, doc: 'x-axis title', default: 'Key timestep' },
  yLabel: { type: t.string, doc: 'y-axis title', default: 'Query timestep' },
  colorbarLabel: { type: t.string, doc: 'colorbar title', default: 'Attention weight' },
};

function isLabelledList(d: unknown): d is readonly LabelledMap[] {
  return (
    Array.isArray(d) &&
    d.length > 0 &&
    typeof d[0] === 'object' &&
    d[0] !== null &&
    !Array.isArray(d[0]) &&
    'values' in d[0]
  );
}

/**
 * T×T attention heatmaps with time-step ticks, side by side (heads, layers,
 * rollout), with the input series along the top and the side when given.
 */
export function attentionSpec(data: AttentionData, options: AttentionOptions = {}): FigureSpec {
  let mapsIn: ArrayInput | readonly LabelledMap[];
  let seriesIn: ArrayInput | undefined;
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'maps' in data) {
    mapsIn = data.maps;
    seriesIn = data.series;
  } else {
    mapsIn = data as ArrayInput | readonly LabelledMap[];
  }
  const maps: { label: string; t: DenseArray }[] = [];
  if (isLabelledList(mapsIn)) {
    mapsIn.forEach((m, i) => {
      const t = toNdArray(m.values, `attention map ${i} ("${m.label}")`);
      if (t.shape.length !== 2)
        throw new VizError(`attention map ${i} ("${m.label}") must be (Tq, Tk); got shape [${t.shape.join(', ')}].`);
      maps.push({ label: m.label, t });
    });
  } else {
    const t = toNdArray(mapsIn as ArrayInput, 'attention data');
    let heads: DenseArray;
    if (t.shape.length === 2) heads = { data: t.data, shape: [1, ...t.shape] };
    else if (t.shape.length === 3) heads = t;
    else if (t.shape.length === 4) {
      const [B, H, Tq, Tk] = t.shape as [number, number, number, number];
      const s = intOption('sample', options.sample, 0, 0);
      if (s >= B)
        throw new VizError(
          `attention sample ${s} is out of range: the batch has ${B} samples. Use sample in [0, ${B - 1}].`,
        );
      const size = H * Tq * Tk;
      heads = { data: t.data.subarray(s * size, (s + 1) * size), shape: [H, Tq, Tk] };
    } else {
      throw new VizError(
        `attention data must be (T, T), (H, T, T), (B, H, T, T) or a list of { label, values }; got shape [${t.shape.join(', ')}].`,
      );
    }
    const [H, Tq, Tk] = heads.shape as [number, number, number];
    for (let h = 0; h < H; h++)
      maps.push({
        label: H === 1 ? '' : `head ${h}`,
        t: { data: heads.data.subarray(h * Tq * Tk, (h + 1) * Tq * Tk), shape: [Tq, Tk] },
      });
  }
  if (options.labels) {
    if (options.labels.length !== maps.length)
      throw new VizError(
        `attention labels has ${options.labels.length} names for ${maps.length} maps. Pass one per map.`,
      );
    options.labels.forEach((l, i) => (maps[i]!.label = l));
  }
  let series: DenseArray | undefined;
  if (seriesIn !== undefined) {
    series = toNdArray(seriesIn, 'attention series');
    if (series.shape.length === 1) series = { data: series.data, shape: [series.shape[0]!, 1] };
    if (series.shape.length !== 2)
      throw new VizError(`attention series must be (T) or (T, C); got shape [${series.shape.join(', ')}].`);
    for (const m of maps) {
      const [Tq, Tk] = m.t.shape as [number, number];
      if (series.shape[0] !== Tk || series.shape[0] !== Tq) {
        throw new VizError(
          `attention series has ${series.shape[0]} timesteps but map "${m.label}" is ${Tq}×${Tk}. The series must have one value per timestep of the map.`,
        );
      }
    }
  }
  const colormap = checkColormap(options.colormap ?? 'viridis');
  const norm = options.norm ?? 'auto';
  const shared = norm !== 'none';
  const allValues = new Float64Array(maps.reduce((a, m) => a + m.t.data.length, 0));
  let off = 0;
  for (const m of maps) {
    allValues.set(m.t.data, off);
    off += m.t.data.length;
  }
  const [vmin, vmax] = resolveNorm(norm, colormap, allValues);
  const ranges = maps.map((m) => (shared ? [vmin, vmax] : resolveNorm('none', colormap, m.t.data)) as [number, number]);
  const perMapCb = !shared && maps.length > 1;
  const showCb = shared || maps.length === 1;
  const cbLabel = options.colorbarLabel ?? 'Attention weight';
  const xLabel = options.xLabel ?? 'Key timestep';
  const yLabel = options.yLabel ?? 'Query timestep';
  const strip = series ? 38 : 0;
  const stripGap = series ? 4 : 0;
  const n = maps.length;
  const b = startFigure(options, { width: Math.min(1400, 120 + n * 330) });
  const fs = b.fig.fontSize;
  const [Tq0, Tk0] = maps[0]!.t.shape as [number, number];
  const probe = matrixAxes(Tq0, Tk0, { x: 0, y: 0, width: 300, height: 300 }, { xLabel, yLabel });
  const titled = maps.some((m) => m.label);
  // Per-map colorbars sit right of each map; the last one carries the label.
  const cbInner = perMapCb ? Math.max(...ranges.map(([lo, hi]) => colorbarSpace(lo, hi, undefined, fs))) : 0;
  const cbLast = perMapCb ? Math.max(cbInner, colorbarSpace(...ranges[n - 1]!, cbLabel, fs)) : 0;
  const grid = planGrid(b, n, {
    aspect: 1,
    maxColumns: options.maxColumns ?? 4,
    left: yAxisSpace(probe.yAxis, fs),
    innerLeft: yAxisSpace({ ...probe.yAxis, label: undefined }, fs) + strip + stripGap + cbInner,
    bottom: xAxisSpace(probe.xAxis, fs),
    innerBottom: xAxisSpace({ ...probe.xAxis, label: undefined }, fs),
    title: (titled ? titleSpace('x', fs) : 0) + strip + stripGap,
    right: (showCb ? colorbarSpace(vmin, vmax, cbLabel, fs) : 0) + cbLast + strip + stripGap,
    minPanelHeight: 160,
    maxPanelHeight: 520,
  });
  let seriesRange: [number, number] = [0, 1];
  if (series) {
    const e = finiteExtent(series.data) ?? [-1, 1];
    const [lo, hi] = padRange(e[0], e[1]);
    const pad = (hi - lo) * 0.1;
    seriesRange = [lo - pad, hi + pad];
  }
  maps.forEach((m, k) => {
    const r = grid.rects[k]!;
    const [Tq, Tk] = m.t.shape as [number, number];
    const [lo, hi] = ranges[k]!;
    const axes = matrixAxes(Tq, Tk, r, {
      xLabel: k + grid.cols >= n ? xLabel : undefined,
      yLabel: k % grid.cols === 0 ? yLabel : undefined,
    });
    b.panels.push({
      ...r,
      ...axes,
      layers: [
        {
          type: 'heatmap',
          rows: Tq,
          cols: Tk,
          values: m.t.data,
          colormap,
          vmin: lo,
          vmax: hi,
          x0: 0,
          x1: Tk,
          y0: 0,
          y1: Tq,
          nanColor: theme.nanColor,
        },
      ],
    });
    if (series) {
      const C = series.shape[1]!;
      const T = series.shape[0]!;
      const top: Layer[] = [];
      const side: Layer[] = [];
      const xs = Array.from({ length: T }, (_, i) => i + 0.5);
      for (let c = 0; c < C; c++) {
        const ys = Array.from({ length: T }, (_, i) => series.data[i * C + c]!);
        top.push({ type: 'line', x: xs, y: ys, color: C === 1 ? '#1a1a1a' : seriesColor(c), width: 1.2 });
        side.push({
          type: 'line',
          x: xs,
          y: ys,
          color: C === 1 ? '#1a1a1a' : seriesColor(c),
          width: 1.2,
          vertical: true,
        });
      }
      const none = { ticks: [], showTickLabels: false } as const;
      b.panels.push({
        x: r.x,
        y: r.y - stripGap - strip,
        width: r.width,
        height: strip,
        xAxis: { min: 0, max: Tk, ...none },
        yAxis: { min: seriesRange[0], max: seriesRange[1], ...none },
        layers: top,
        ...(m.label ? { title: m.label } : {}),
      });
      b.panels.push({
        x: r.x + r.width + stripGap,
        y: r.y,
        width: strip,
        height: r.height,
        xAxis: { min: seriesRange[0], max: seriesRange[1], ...none },
        yAxis: { min: 0, max: Tq, reversed: true, ...none },
        layers: side,
      });
    } else if (m.label) {
      b.panels[b.panels.length - 1] = { ...b.panels[b.panels.length - 1]!, title: m.label };
    }
    if (perMapCb) {
      const beside = { ...r, width: r.width + strip + stripGap };
      b.colorbars.push(colorbarBeside(beside, colormap, lo, hi, k === n - 1 ? cbLabel : undefined));
    }
  });
  if (showCb) {
    const first = grid.rects[0]!;
    const right = Math.max(...grid.rects.map((r) => r.x + r.width)) + strip + stripGap;
    b.colorbars.push(
      colorbarBeside({ x: right, y: first.y, width: 0, height: first.height }, colormap, vmin, vmax, cbLabel),
    );
  }
  return finishFigure('attention', b);
}
