import { mulberry32 } from '@keraspect/array';
import type { ChartTypes } from './charts/index.ts';
import type { ChartKind } from './spec.ts';

/**
 * Seeded normal draws for the examples (and the tests' data): Box–Muller keeping only the cosine
 * of each pair, over mulberry32. This is not `seededRng().normal`, which keeps both values of a
 * pair; the examples keep their own stream so the README images and chart snapshots stay the same.
 */
export function randn(seed: number, n: number, scale = 1): Float32Array {
  const u = mulberry32(seed);
  return Float32Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u()) * scale,
  );
}

/** A chart kind with example data and options. */
export type Example<K extends ChartKind = ChartKind> = {
  kind: K;
  data: ChartTypes[K]['data'];
  options: ChartTypes[K]['options'];
};

/** Row-stochastic attention peaked `lag` steps back, mostly causal. */
function causalAttention(T: number, lag: number, width: number, seed: number): Float32Array {
  const u = mulberry32(seed);
  const a = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    let s = 0;
    for (let j = 0; j < T; j++) {
      const v = Math.exp(-Math.abs(i - lag - j) / width) * (j <= i ? 1 : 0.25) + 0.08 * u();
      a[i * T + j] = v;
      s += v;
    }
    for (let j = 0; j < T; j++) a[i * T + j]! /= s;
  }
  return a;
}

/**
 * Seeded example figures, one per chart kind: the README images
 * (`scripts/make-viz-examples.ts`) and the bench (`bench/viz.ts`) draw these.
 * Deterministic: the same call gives the same data.
 */
export function examples(): { [K in ChartKind]: Example<K> } {
  // features1D: (B=3, T=200, C=6) LSTM-like outputs.
  const B = 3;
  const T = 200;
  const C = 6;
  const noise = randn(1, B * T * C, 0.05);
  const f1 = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) {
        const k = (b * T + t) * C + c;
        f1[k] =
          Math.tanh(1.5 * Math.sin((t / T) * (c + 1) * 2 * Math.PI + b * 0.8) + (0.3 * (c - 2.5)) / 2.5) + noise[k]!;
      }
  // features2D: (channels=32, T=120) smooth patterns + noise.
  const R = 32;
  const T2 = 120;
  const n2 = randn(2, R * T2, 0.15);
  const f2 = new Float32Array(R * T2);
  for (let r = 0; r < R; r++)
    for (let t = 0; t < T2; t++) f2[r * T2 + t] = Math.sin(r / 4 + t / 15) * Math.cos(t / 37 - r / 9) + n2[r * T2 + t]!;
  // histogram: two activations, one with a spike at 0 (ReLU-like).
  const relu = Array.from(randn(3, 20000), (v) => Math.max(0, v));
  const tanh = Array.from(randn(4, 20000), (v) => Math.tanh(v * 0.8 + 0.3));
  // features0D: (B=4, C=24) final hidden states.
  const f0 = randn(5, 4 * 24, 0.6).map((v, i) => Math.tanh(v + Math.sin((i % 24) / 3)));
  // attribution: (T=150, C=3) series and a few attribution bumps.
  const Ta = 150;
  const Ca = 3;
  const xs = new Float32Array(Ta * Ca);
  const as = new Float32Array(Ta * Ca);
  const na = randn(6, Ta * Ca, 0.03);
  for (let t = 0; t < Ta; t++)
    for (let c = 0; c < Ca; c++) {
      const k = t * Ca + c;
      xs[k] = Math.sin(t / (9 + 4 * c) + c) + 0.3 * Math.sin(t / 3.1) + na[k]! * 3;
      as[k] =
        1.0 * Math.exp(-((t - 45 - 35 * c) ** 2) / 80) * (c === 1 ? -1 : 1) +
        0.4 * Math.exp(-((t - 120 + 20 * c) ** 2) / 40) * (c === 0 ? -1 : 1) +
        na[k]!;
    }
  // attention: 3 maps of T=40 plus the input series.
  const Tt = 40;
  // rnnWeights: LSTM F=12, U=16.
  const F = 12;
  const U = 16;
  return {
    features1D: {
      kind: 'features1D',
      data: { data: f1, shape: [B, T, C] },
      options: { title: 'LSTM outputs per channel (features1D)', scale: 2 },
    },
    features2D: {
      kind: 'features2D',
      data: { data: f2, shape: [R, T2] },
      options: {
        title: 'Layer activations (features2D)',
        yLabel: 'Channels',
        colorbarLabel: 'Activation',
        width: 760,
        height: 340,
        scale: 2,
      },
    },
    histogram: {
      kind: 'histogram',
      data: [
        { label: 'ReLU layer', values: relu },
        { label: 'tanh layer', values: tanh },
      ],
      options: {
        title: 'Activation distributions (histogram, clipped peak)',
        bins: 60,
        clipPeaks: 1,
        xLabel: 'Activation',
        width: 760,
        height: 400,
        scale: 2,
      },
    },
    features0D: {
      kind: 'features0D',
      data: { data: f0, shape: [4, 24] },
      options: {
        title: 'Final hidden state per sample (features0D)',
        sampleLabels: ['cat', 'dog', 'bird', 'fish'],
        xLabel: 'Units',
        scale: 2,
      },
    },
    attribution: {
      kind: 'attribution',
      data: { series: { data: xs, shape: [Ta, Ca] }, attributions: { data: as, shape: [Ta, Ca] } },
      options: {
        title: 'Integrated Gradients over the input (attribution)',
        channelLabels: ['temperature', 'pressure', 'humidity'],
        scale: 2,
      },
    },
    attention: {
      kind: 'attention',
      data: {
        maps: [
          { label: 'layer 1', values: { data: causalAttention(Tt, 0, 1.2, 7), shape: [Tt, Tt] } },
          { label: 'layer 2', values: { data: causalAttention(Tt, 3, 3, 8), shape: [Tt, Tt] } },
          { label: 'rollout', values: { data: causalAttention(Tt, 2, 6, 9), shape: [Tt, Tt] } },
        ],
        series: Array.from({ length: Tt }, (_, i) => Math.sin(i / 4) + 0.3 * Math.sin(i / 1.3)),
      },
      options: { title: 'Self-attention with rollout (attention)', scale: 2 },
    },
    rnnWeights: {
      kind: 'rnnWeights',
      data: {
        cell: 'LSTM',
        weights: [
          { data: randn(10, F * 4 * U, 0.3), shape: [F, 4 * U] },
          { data: randn(11, U * 4 * U, 0.2), shape: [U, 4 * U] },
          { data: randn(12, 4 * U, 0.1), shape: [4 * U] },
        ],
      },
      options: { title: 'LSTM kernel and recurrent kernel per gate (rnnWeights)', scale: 2 },
    },
  };
}
