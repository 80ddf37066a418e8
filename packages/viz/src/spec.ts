import { type OptionSpecs, t } from '@keraspect/array';
import type { ColormapName } from './colormaps.ts';
import type { Tick } from './scale.ts';

/**
 * Names of the chart kinds; each has its own file under `charts/` and one
 * entry in the `charts` registry.
 */
export type ChartKind =
  | 'features1D'
  | 'features2D'
  | 'histogram'
  | 'features0D'
  | 'attribution'
  | 'attention'
  | 'rnnWeights';

/** Options every chart accepts. */
export interface FigureOptions {
  /** Figure width in CSS pixels. Default: chosen per chart (usually 800). */
  width?: number;
  /** Figure height in CSS pixels. Default: chosen per chart from its grid of panels. */
  height?: number;
  /**
   * Multiply the figure width by this factor (the seed answer's and see-rnn's `scale_width`): panels
   * widen, fonts stay. Default 1.
   */
  scaleWidth?: number;
  /** Multiply the figure height by this factor (`scale_height`), also a height chosen from the grid. Default 1. */
  scaleHeight?: number;
  /**
   * Device pixels per CSS pixel of the PNG (a PNG is `width·scale × height·scale`).
   * Default 1, or `dpi / 96` when `dpi` is given.
   */
  scale?: number;
  /** Dots per inch written into the PNG (pHYs chunk); also sets `scale = dpi / 96` unless `scale` is given. */
  dpi?: number;
  /** Figure title, drawn bold at the top. Default: none. */
  title?: string;
  /** Background color (CSS color), or `"transparent"`. Default `"#ffffff"`. */
  background?: string;
  /** Base font size in CSS pixels; titles and labels scale from it. Default 11. */
  fontSize?: number;
}

/** The description of {@link FigureOptions}, shared by every chart's option description. */
export const figureOptionSpecs: OptionSpecs<FigureOptions> = {
  width: { type: t.positive(20000), doc: 'figure width in CSS pixels', defaultDoc: 'chosen per chart (usually 800)' },
  height: { type: t.positive(20000), doc: 'figure height in CSS pixels', defaultDoc: 'chosen per chart from its grid' },
  scaleWidth: {
    type: t.positive(100),
    doc: 'multiply the figure width by this factor (panels widen, fonts stay)',
    default: 1,
  },
  scaleHeight: { type: t.positive(100), doc: 'multiply the figure height by this factor', default: 1 },
  scale: { type: t.positive(16), doc: 'device pixels per CSS pixel of the PNG', defaultDoc: '1, or dpi / 96' },
  dpi: {
    type: t.positive(2400),
    doc: 'dots per inch written into the PNG; sets scale = dpi / 96 unless scale is given',
  },
  title: { type: t.string, doc: 'figure title, bold at the top' },
  background: { type: t.string, doc: "background color (CSS color) or 'transparent'", default: '#ffffff' },
  fontSize: {
    type: t.positive(200),
    doc: 'base font size in CSS pixels (titles and labels scale from it)',
    default: 11,
  },
};

/** An axis of a panel: its data range, ticks and label. */
export interface AxisSpec {
  /** Data value at the left (x) or bottom (y) edge; top edge when `reversed`. */
  readonly min: number;
  /** Data value at the right (x) or top (y) edge; bottom edge when `reversed`. */
  readonly max: number;
  /** Ticks, in data units. */
  readonly ticks: readonly Tick[];
  /** Whether tick labels are drawn (ticks marks always are). */
  readonly showTickLabels: boolean;
  /** Axis title. */
  readonly label?: string;
  /** For y: `min` at the top (image convention, row 0 on top). */
  readonly reversed?: boolean;
  /** Light grid lines at the ticks. */
  readonly grid?: boolean;
  /** Put the axis on the other side: top for x, right for y. */
  readonly opposite?: boolean;
  /** Logarithmic scale (base 10); `min` must be > 0. */
  readonly log?: boolean;
}

/** A polyline through (x[i], y[i]); NaN in y breaks the line. */
export interface LineLayer {
  readonly type: 'line';
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly color: string;
  readonly width: number;
  /** Dash pattern in CSS px, e.g. [4, 3]. */
  readonly dash?: readonly number[];
  /** Marker radius in CSS px; 0 or absent for none. */
  readonly markerRadius?: number;
  /** Set false to draw markers only. */
  readonly connect?: boolean;
  /** Swap axes: x values go up the y axis (for side strips). */
  readonly vertical?: boolean;
}

/** A polyline whose segments take colors from a colormap. */
export interface ColorLineLayer {
  readonly type: 'colorLine';
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Colormap position ∈ [0, 1] of each point; segment i→i+1 uses point i's color. */
  readonly t: readonly number[];
  readonly colormap: ColormapName;
  readonly width: number;
}

/** A grid of cells colored through a colormap, spanning [x0, x1] × [y0, y1] in data units. */
export interface HeatmapLayer {
  readonly type: 'heatmap';
  readonly rows: number;
  readonly cols: number;
  /** Row-major cell values (`rows × cols`); row 0 is drawn at y0. */
  readonly values: Float64Array | Float32Array | readonly number[];
  readonly colormap: ColormapName;
  readonly vmin: number;
  readonly vmax: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  /** Opacity over the white panel, 0–1 (blended into the colors so cells stay opaque). Default 1. */
  readonly alpha?: number;
  /** Color of NaN cells. */
  readonly nanColor: string;
}

/** Histogram bars: bar i covers [edges[i], edges[i+1]] with height heights[i]. */
export interface BarsLayer {
  readonly type: 'bars';
  readonly edges: readonly number[];
  readonly heights: readonly number[];
  readonly color: string;
  readonly alpha: number;
  /** Base of the bars in data units (the axis minimum for log axes). */
  readonly base: number;
}

/** A horizontal (`h`, at y = value) or vertical (`v`, at x = value) line across the panel. */
export interface RuleLayer {
  readonly type: 'rule';
  readonly orientation: 'h' | 'v';
  readonly value: number;
  readonly color: string;
  readonly width: number;
  readonly dash?: readonly number[];
}

/** Text at a data position, offset by (dx, dy) CSS px. */
export interface TextLayer {
  readonly type: 'text';
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly color: string;
  readonly size: number;
  readonly align: 'left' | 'center' | 'right';
  readonly baseline: 'top' | 'middle' | 'bottom';
  readonly dx?: number;
  readonly dy?: number;
  readonly bold?: boolean;
}

/** Anything drawn inside a panel, in data coordinates. */
export type Layer = LineLayer | ColorLineLayer | HeatmapLayer | BarsLayer | RuleLayer | TextLayer;

/** One plotting area with its own axes. */
export interface PanelSpec {
  /** Plot-area left edge, CSS px from the figure's left. */
  readonly x: number;
  /** Plot-area top edge, CSS px from the figure's top. */
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly xAxis: AxisSpec;
  readonly yAxis: AxisSpec;
  readonly layers: readonly Layer[];
  /** Title centred above the panel. */
  readonly title?: string;
  /** Small label inside the top-left corner (e.g. a channel name). */
  readonly label?: string;
  /** Draw the four-sided frame (spines). Default true. */
  readonly frame?: boolean;
}

/** A vertical colorbar. */
export interface ColorbarSpec {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly colormap: ColormapName;
  readonly vmin: number;
  readonly vmax: number;
  readonly ticks: readonly Tick[];
  readonly label?: string;
}

/** A legend box with colored swatches. */
export interface LegendSpec {
  /** Top-left corner, CSS px. */
  readonly x: number;
  readonly y: number;
  readonly items: readonly { readonly label: string; readonly color: string; readonly swatch: 'line' | 'box' }[];
}

/** Free text in figure coordinates (shared axis titles, notes). */
export interface FigureText {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly size: number;
  readonly bold?: boolean;
  readonly align: 'left' | 'center' | 'right';
  readonly baseline: 'top' | 'middle' | 'bottom';
  /** Rotation in degrees (−90 for a y-axis title). */
  readonly rotate?: number;
  readonly color?: string;
}

/**
 * A complete, serializable description of a figure: every panel, axis, layer,
 * colorbar and legend with positions in CSS pixels and data in data units.
 * The charts build it (pure, no canvas); the renderers turn it into PNG or SVG.
 */
export interface FigureSpec {
  readonly kind: ChartKind;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly dpi?: number;
  readonly background: string;
  readonly fontSize: number;
  readonly panels: readonly PanelSpec[];
  readonly colorbars: readonly ColorbarSpec[];
  readonly legends: readonly LegendSpec[];
  readonly texts: readonly FigureText[];
}

/** Figure-level options after defaults. */
export interface ResolvedFigure {
  width: number;
  height: number;
  /** `scaleHeight`, applied again when a chart chooses the height from its grid. */
  scaleHeight: number;
  scale: number;
  dpi?: number;
  background: string;
  fontSize: number;
  title?: string;
}

/** CSS-px x of data value `v` in a panel. */
export function xToPx(p: PanelSpec, v: number): number {
  return p.x + axisFraction(p.xAxis, v) * p.width;
}

/** Position of `v` along an axis as a fraction of its length, 0 at `min`. */
export function axisFraction(a: AxisSpec, v: number): number {
  if (a.log) return (Math.log10(v) - Math.log10(a.min)) / (Math.log10(a.max) - Math.log10(a.min));
  return (v - a.min) / (a.max - a.min);
}

/** CSS-px y of data value `v` in a panel (respects `reversed`). */
export function yToPx(p: PanelSpec, v: number): number {
  const a = p.yAxis;
  const f = axisFraction(a, v);
  return a.reversed ? p.y + f * p.height : p.y + p.height - f * p.height;
}
