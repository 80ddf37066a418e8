import type { ChartKind, FigureSpec } from '../spec.ts';
import { type AttentionData, type AttentionOptions, attentionSpec } from './attention.ts';
import { type AttributionData, type AttributionOptions, attributionSpec } from './attribution.ts';
import { type Features0DData, type Features0DOptions, features0DSpec } from './features-0d.ts';
import { type Features1DData, type Features1DOptions, features1DSpec } from './features-1d.ts';
import { type Features2DData, type Features2DOptions, features2DSpec } from './features-2d.ts';
import { type HistogramData, type HistogramOptions, histogramSpec } from './histogram.ts';
import { type RnnWeightsData, type RnnWeightsOptions, rnnWeightsSpec } from './rnn-weights.ts';

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

/** A chart kind: a one-line description and its pure spec step (data → {@link FigureSpec}). */
export interface Chart<K extends ChartKind> {
  /** What the chart shows, one line. */
  readonly description: string;
  /** Build the figure description; pure, no drawing. */
  readonly spec: (data: ChartTypes[K]['data'], options?: ChartTypes[K]['options']) => FigureSpec;
}

/** Every chart kind, one entry each; the type checker keeps it complete. */
export const charts: { readonly [K in ChartKind]: Chart<K> } = {
  features1D: { description: 'Per-channel line grid: time on x, one curve per sample.', spec: features1DSpec },
  features2D: { description: 'Heatmap of a (rows × time) or (T × T) matrix, with colorbar.', spec: features2DSpec },
  histogram: { description: 'Histograms, overlaid or in a grid, log counts, clipped peaks.', spec: histogramSpec },
  features0D: { description: 'One value per channel across samples.', spec: features0DSpec },
  attribution: { description: 'Input series with attributions as colored background or line.', spec: attributionSpec },
  attention: {
    description: 'T × T attention maps side by side, with the input series on top and side.',
    spec: attentionSpec,
  },
  rnnWeights: { description: 'LSTM/GRU kernels per gate as heatmaps or histograms.', spec: rnnWeightsSpec },
};
