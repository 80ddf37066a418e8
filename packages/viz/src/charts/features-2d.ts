import { type OptionSpecs, t } from '@keraspect/array';
import { type ColormapName, colormapNames } from '../colormaps.ts';
import { VizError } from '../errors.ts';
import { type ArrayInput, toNdArray, transpose } from '../ndarray.ts';
import { type FigureOptions, figureOptionSpecs, type FigureSpec } from '../spec.ts';
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

/** Options of the `features2D` chart. */
export interface Features2DOptions extends FigureOptions {
  /** Colormap. Default `'bwr'`. */
  colormap?: ColormapName;
  /** The seed answer's name for `colormap` (`cmap='bwr'`); `colormap` wins when both are given. */
  cmap?: ColormapName;
  /**
   * Value range of the colormap, one range shared by all panels: `[vmin, vmax]` (either may be
   * `null`); `'data'` or `null` (default, the answer's `norm=None`: the data's [min, max], as
   * matplotlib's `imshow`); `'symmetric'` ±max|x|; `'auto'` symmetric for diverging colormaps, else
   * the data's range; `'none'` each panel its own [min, max] (the colorbar is then drawn only for a
   * single panel).
   */
  norm?: Norm;
  /** Swap rows and columns of each matrix before drawing. Default false. */
  transpose?: boolean;
  /** x-axis title. Default `"Timesteps"`. */
  xLabel?: string;
  /** y-axis title. Default `"Attention features"`. */
  yLabel?: string;
  /** Draw a colorbar. Default true. */
  colorbar?: boolean;
  /** Colorbar title. Default none. */
  colorbarLabel?: string;
  /** Panel titles for a batch, one per sample. Default `sample 0`, … */
  sampleLabels?: readonly string[];
  /** Grid columns at most for a batch. Default: chosen to fill the figure. */
  maxColumns?: number;
  /** Draw at most this many samples. Default 16. */
  maxPanels?: number;
  /** Color of NaN cells. Default light grey. */
  nanColor?: string;
}

/** The description of {@link Features2DOptions}. */
export const features2DOptionSpecs: OptionSpecs<Features2DOptions> = {
  ...figureOptionSpecs,
  colormap: { type: t.enum(colormapNames), doc: 'colormap', default: 'bwr' },
  cmap: { type: t.enum(colormapNames), doc: "the seed answer's name for colormap (colormap wins when both are given)" },
  norm: {
    type: t.oneOf(
      t.enum(['data', 'symmetric', 'auto', 'none']),
      t.null,
      t.list(t.oneOf(t.number(), t.null), { length: 2 }),
    ),
    doc: "value range shared by all panels: 'data' (or null) the data's [min, max], 'symmetric' ±max|x|, 'auto' symmetric for diverging colormaps, 'none' per panel, or [vmin, vmax] (either may be null)",
    default: 'data',
  },
  transpose: { type: t.boolean, doc: 'swap rows and columns of each matrix', default: false },
  xLabel: { type: t.string, doc: 'x-axis title', default: 'Timesteps' },
  yLabel: { type: t.string, doc: 'y-axis title', default: 'Attention features' },
  colorbar: { type: t.boolean, doc: 'draw a colorbar', default: true },
  colorbarLabel: { type: t.string, doc: 'colorbar title' },
  sampleLabels: { type: t.list(t.string), doc: 'panel titles for a batch, one per sample', defaultDoc: 'sample 0, …' },
  maxColumns: {
    type: t.integer({ min: 1 }),
    doc: 'grid columns at most for a batch',
    defaultDoc: 'chosen to fill the figure',
  },
  maxPanels: { type: t.integer({ min: 1 }), doc: 'draw at most this many samples', default: 16 },
  nanColor: { type: t.string, doc: 'color of NaN cells (CSS color)', defaultDoc: 'light grey' },
};

/** Input of `features2D`: one `(rows, cols)` matrix, or a batch `(B, rows, cols)`. */
export type Features2DData = ArrayInput;

/**
 * Heatmap of a (rows × time) or (T × T) matrix, or a grid of them for a
 * batch (the seed answer's `show_features_2D`, see-rnn's `features_2D`). Cells are drawn as exact pixel blocks
 * (nearest neighbour), crisp at any size; 2000 × 2000 cells and more are fine.
 * NaN cells take `nanColor` and are ignored by the norm.
 */
export function features2DSpec(data: Features2DData, options: Features2DOptions = {}): FigureSpec {
  let t = toNdArray(data, 'features2D data');
  if (t.shape.length === 2) t = { data: t.data, shape: [1, ...t.shape] };
  if (t.shape.length !== 3) {
    throw new VizError(
      `features2D data must be a matrix (rows, cols) or a batch (B, rows, cols); got shape [${t.shape.join(', ')}].`,
    );
  }
  if (options.transpose) t = transpose(t, [0, 2, 1]);
  const [Ball, R, C] = t.shape as [number, number, number];
  const B = Math.min(Ball, intOption('maxPanels', options.maxPanels, 16));
  const colormap = checkColormap(options.colormap ?? options.cmap ?? 'bwr');
  const norm = options.norm === undefined ? 'data' : options.norm;
  const sharedNorm = norm !== 'none';
  const size = R * C;
  const all = t.data.subarray(0, B * size);
  const [vmin, vmax] = resolveNorm(norm, colormap, all);
  const showCb = (options.colorbar ?? true) && (sharedNorm || B === 1);
  const xLabel = options.xLabel ?? 'Timesteps';
  const yLabel = options.yLabel ?? 'Attention features';
  const b = startFigure(options, { width: B === 1 ? 640 : 900 });
  const fs = b.fig.fontSize;
  const probe = matrixAxes(R, C, { x: 0, y: 0, width: 400, height: 400 }, { xLabel, yLabel });
  const titles = B > 1 || options.sampleLabels !== undefined;
  const grid = planGrid(b, B, {
    aspect: Math.max(0.6, Math.min(2.5, C / R)),
    maxColumns: options.maxColumns,
    left: yAxisSpace(probe.yAxis, fs),
    innerLeft: yAxisSpace({ ...probe.yAxis, label: undefined }, fs),
    bottom: xAxisSpace(probe.xAxis, fs),
    innerBottom: xAxisSpace({ ...probe.xAxis, label: undefined }, fs),
    title: titles ? titleSpace('x', fs) : 0,
    right: showCb ? colorbarSpace(vmin, vmax, options.colorbarLabel, fs) : 0,
    minPanelHeight: 120,
    maxPanelHeight: 560,
  });
  for (let k = 0; k < B; k++) {
    const r = grid.rects[k]!;
    const values = t.data.subarray(k * size, (k + 1) * size);
    const [lo, hi] = sharedNorm ? [vmin, vmax] : resolveNorm('none', colormap, values);
    b.panels.push({
      ...r,
      // Axis titles on the outer panels only.
      ...matrixAxes(R, C, r, {
        xLabel: k + grid.cols >= B ? xLabel : undefined,
        yLabel: k % grid.cols === 0 ? yLabel : undefined,
      }),
      layers: [
        {
          type: 'heatmap',
          rows: R,
          cols: C,
          values,
          colormap,
          vmin: lo,
          vmax: hi,
          x0: 0,
          x1: C,
          y0: 0,
          y1: R,
          nanColor: options.nanColor ?? theme.nanColor,
        },
      ],
      ...(titles ? { title: options.sampleLabels?.[k] ?? `sample ${k}` } : {}),
    });
  }
  if (showCb) {
    const first = grid.rects[0]!;
    const last = grid.rects[grid.rects.length - 1]!;
    const right = Math.max(...grid.rects.map((r) => r.x + r.width));
    const rect = {
      x: right,
      y: first.y,
      width: 0,
      height: Math.min(last.y + last.height - first.y, Math.max(first.height, 160)),
    };
    b.colorbars.push(colorbarBeside(rect, colormap, vmin, vmax, options.colorbarLabel));
  }
  return finishFigure('features2D', b);
}
