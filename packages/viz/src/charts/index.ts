import type { OptionSpecs } from '@keraspect/array';
import type { ChartKind, FigureSpec } from '../spec.ts';
import { type AttentionData, type AttentionOptions, attentionOptionSpecs, attentionSpec } from './attention.ts';
import {
  type AttributionData,
  type AttributionOptions,
  attributionOptionSpecs,
  attributionSpec,
} from './attribution.ts';
import { type Features0DData, type Features0DOptions, features0DOptionSpecs, features0DSpec } from './features-0d.ts';
import { type Features1DData, type Features1DOptions, features1DOptionSpecs, features1DSpec } from './features-1d.ts';
import { type Features2DData, type Features2DOptions, features2DOptionSpecs, features2DSpec } from './features-2d.ts';
import { type HistogramData, type HistogramOptions, histogramOptionSpecs, histogramSpec } from './histogram.ts';
import { type RnnWeightsData, type RnnWeightsOptions, rnnWeightsOptionSpecs, rnnWeightsSpec } from './rnn-weights.ts';

/** Data and options types of each chart kind. */
export interface ChartTypes {
  features1D: { data: Features1DData; options: Features1DOptions };
  features2D: { data: Features2DData; options: Features2DOptions };
  histogram: { data: HistogramData; options: HistogramOptions };
  features0D: { data: Features0DData; options: Features0DOptions };
  attribution: { data: AttributionData; options: AttributionOptions };
  attention: { data: AttentionData; options: AttentionOptions };
  rnnWeights: { data: RnnWeightsData; options: RnnWeightsOptions };
}

/**
 * A chart kind: a one-line description, the data it takes, its options described (type,
 * default, doc: `chartSpec` checks options against it, the CLI makes its flags from it) and its
 * pure spec step (data → {@link FigureSpec}).
 */
export interface Chart<K extends ChartKind> {
  /** What the chart shows, one line. */
  readonly description: string;
  /** The data it takes (shapes), one line. */
  readonly data: string;
  /** Every option, described (the figure options included). */
  readonly options: OptionSpecs<ChartTypes[K]['options']>;
  /** Build the figure description; pure, no drawing. */
  readonly spec: (data: ChartTypes[K]['data'], options?: ChartTypes[K]['options']) => FigureSpec;
}

/** Every chart kind, one entry each; the type checker keeps it complete. */
export const charts: { readonly [K in ChartKind]: Chart<K> } = {
  features1D: {
    description: 'Per-channel line grid: time on x, one curve per sample.',
    data: '(T), (T, C) or (B, T, C)',
    options: features1DOptionSpecs,
    spec: features1DSpec,
  },
  features2D: {
    description: 'Heatmap of a (rows × time) or (T × T) matrix, with colorbar.',
    data: '(rows, cols) or (B, rows, cols)',
    options: features2DOptionSpecs,
    spec: features2DSpec,
  },
  histogram: {
    description: 'Histograms, overlaid or in a grid, log counts, clipped peaks.',
    data: 'any shape (its values), or a list of { label, values }',
    options: histogramOptionSpecs,
    spec: histogramSpec,
  },
  features0D: {
    description: 'One value per channel across samples.',
    data: '(C) or (B, C)',
    options: features0DOptionSpecs,
    spec: features0DSpec,
  },
  attribution: {
    description: 'Input series with attributions as colored background or line.',
    data: '{ series, attributions } of the same shape, (T) or (T, C)',
    options: attributionOptionSpecs,
    spec: attributionSpec,
  },
  attention: {
    description: 'T × T attention maps side by side, with the input series on top and side.',
    data: '(T, T), (H, T, T) or (B, H, T, T), a list of { label, values }, or { maps, series }',
    options: attentionOptionSpecs,
    spec: attentionSpec,
  },
  rnnWeights: {
    description: 'LSTM/GRU kernels per gate as heatmaps or histograms.',
    data: "{ cell: 'LSTM' | 'GRU', weights: [kernel, recurrent_kernel, bias?] } in Keras layout",
    options: rnnWeightsOptionSpecs,
    spec: rnnWeightsSpec,
  },
};
