/**
 * `@keraspect/viz`: publication-quality PNG and SVG charts of features,
 * attention, attributions and RNN weights, from plain arrays, in Node (PNG on
 * `@napi-rs/canvas`, SVG) and in browsers (`drawToCanvas` on a `<canvas>` or
 * `OffscreenCanvas`, same painter). Pipeline: data → chart spec (pure,
 * serializable) → pixels → bytes.
 *
 * @packageDocumentation
 */
export { type Chart, type ChartTypes, charts } from './charts/index.ts';
export type { AttentionData, AttentionOptions, LabelledMap } from './charts/attention.ts';
export {
  type AttributionData,
  type AttributionMethod,
  type AttributionOptions,
  type AttributionSign,
  normalizeAttributions,
} from './charts/attribution.ts';
export type { Norm } from './charts/common.ts';
export type { Features0DData, Features0DOptions } from './charts/features-0d.ts';
export type { Features1DData, Features1DOptions } from './charts/features-1d.ts';
export type { Features2DData, Features2DOptions } from './charts/features-2d.ts';
export { binValues, type HistogramData, type HistogramOptions, type HistogramSeries } from './charts/histogram.ts';
export { type RnnCell, type RnnWeightsData, type RnnWeightsOptions, rnnGates } from './charts/rnn-weights.ts';
export { type Colormap, type ColormapName, colorAt, colormaps, getColormap, palette, type Rgb } from './colormaps.ts';
export { VizError, type VizErrorCode } from './errors.ts';
export { FONT_FAMILY, registerFont } from './font.ts';
export type { NdArray } from '@keraspect/array';
export { type ArrayInput, type DenseArray, type NestedArray, type NumericBuffer, toNdArray } from './ndarray.ts';
export { canvasBackendName, drawPng, drawToCanvas } from './render/canvas.ts';
export type { CanvasLike } from './render/canvas-backend.ts';
export { drawSvg } from './render/svg.ts';
export { assertChartKind, chartKinds, chartSpec, type Rendered, render, renderPng, renderSvg } from './render.ts';
export { downsampleMinMax, niceTicks } from './scale.ts';
export type {
  AxisSpec,
  ChartKind,
  ColorbarSpec,
  FigureOptions,
  FigureSpec,
  FigureText,
  Layer,
  LegendSpec,
  PanelSpec,
} from './spec.ts';
export { xToPx, yToPx } from './spec.ts';
export { type Example, examples } from './examples.ts';
