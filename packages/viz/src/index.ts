/**
 * `@keraspect/viz`: publication-quality PNG and SVG charts of features,
 * attention, attributions and RNN weights, from plain arrays, without a
 * browser. Pipeline: data → chart spec (pure, serializable) → pixels → bytes.
 *
 * @packageDocumentation
 */
export { type Chart, type ChartTypes, charts } from './charts/index.js';
export type { AttentionData, AttentionOptions, LabelledMap } from './charts/attention.js';
export { type AttributionData, type AttributionMethod, type AttributionOptions, type AttributionSign, normalizeAttributions } from './charts/attribution.js';
export type { Norm } from './charts/common.js';
export type { Features0DData, Features0DOptions } from './charts/features-0d.js';
export type { Features1DData, Features1DOptions } from './charts/features-1d.js';
export type { Features2DData, Features2DOptions } from './charts/features-2d.js';
export { binValues, type HistogramData, type HistogramOptions, type HistogramSeries } from './charts/histogram.js';
export { type RnnCell, type RnnWeightsData, type RnnWeightsOptions, rnnGates } from './charts/rnn-weights.js';
export { type Colormap, type ColormapName, colorAt, colormaps, getColormap, palette, type Rgb } from './colormaps.js';
export { VizError } from './errors.js';
export { FONT_FAMILY } from './font.js';
export { type ArrayInput, type NdArray, type NestedArray, type NumericBuffer, type Tensor, toTensor } from './ndarray.js';
export { drawPng } from './render/canvas.js';
export { drawSvg } from './render/svg.js';
export { assertChartKind, chartKinds, chartSpec, type Rendered, render, renderPng, renderSvg } from './render.js';
export { downsampleMinMax, niceTicks } from './scale.js';
export type { AxisSpec, ChartKind, ColorbarSpec, FigureOptions, FigureSpec, FigureText, Layer, LegendSpec, PanelSpec } from './spec.js';
export { xToPx, yToPx } from './spec.js';
export { type Example, examples } from './examples.js';
