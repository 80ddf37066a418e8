import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { seededRng } from '../rng.ts';

/**
 * The box datasets of Ismail et al. 2020, "Benchmarking Deep Learning Interpretability in Time
 * Series Predictions" (https://arxiv.org/abs/2010.13924):
 * - `middle`: a large box in the middle of time and features;
 * - `smallMiddle`: a small box in the middle;
 * - `rareTime`: few time steps, most features;
 * - `rareFeature`: few features, most time steps;
 * - `moving`: the `middle` box at a random position per sample (the paper's "Moving" modifier,
 *   which {@link BoxOptions.moving} also applies to any other variant).
 */
export type BoxVariant = 'middle' | 'smallMiddle' | 'rareTime' | 'rareFeature' | 'moving';

/** Every box variant, in table order. */
export const boxVariants: readonly BoxVariant[] = ['middle', 'smallMiddle', 'rareTime', 'rareFeature', 'moving'];

/**
 * Box geometry on the paper's 50 × 50 grid (its `createDatasets.py` for T = F = 50): start and
 * length along time and along features. Other sizes scale these proportionally.
 */
const GRID = 50;
const LAYOUT: Record<Exclude<BoxVariant, 'moving'>, { t0: number; nt: number; f0: number; nf: number }> = {
  middle: { t0: 10, nt: 30, f0: 10, nf: 30 },
  smallMiddle: { t0: 18, nt: 14, f0: 18, nf: 14 },
  rareTime: { t0: 22, nt: 6, f0: 5, nf: 40 },
  rareFeature: { t0: 5, nt: 40, f0: 22, nf: 6 },
};

/** Options of {@link boxDataset}. */
export interface BoxOptions {
  /** Which dataset. Default `'middle'`. */
  variant?: BoxVariant;
  /** Number of samples. Default 1000. */
  samples?: number;
  /** Time steps T. Default 50 (the paper's). */
  steps?: number;
  /** Features F. Default 50 (the paper's). */
  features?: number;
  /** Place the box at a uniformly random position per sample (Ismail's "Moving_…"). Default `variant === 'moving'`. */
  moving?: boolean;
  /** PRNG seed. Default 0. */
  seed?: number;
}

/** The informative box of one sample: time steps `[t0, t1)` × features `[f0, f1)`. */
export interface Box {
  t0: number;
  t1: number;
  f0: number;
  f1: number;
}

/** A generated box dataset. */
export interface BoxDataset {
  variant: BoxVariant;
  /** Inputs (N, T, F): N(0, 1) everywhere except the box, which is N(±1, 1). */
  x: NdArray;
  /** Class per sample: 1 where the box mean is +1, 0 where it is −1. */
  labels: Int32Array;
  /** The informative box of each sample. */
  boxes: Box[];
}

/**
 * Generate a box dataset (Ismail et al. 2020): every cell is N(0, 1) background noise except the
 * informative box, whose cells are N(c, 1) with c = +1 for class 1 and c = −1 for class 0 (classes
 * equally likely). Deterministic given `seed`; the geometry follows the paper's T = F = 50 layout,
 * scaled to `steps` × `features`.
 */
export function boxDataset(options: BoxOptions = {}): BoxDataset {
  const { variant = 'middle', samples = 1000, steps = GRID, features = GRID, seed = 0 } = options;
  const moving = options.moving ?? variant === 'moving';
  if (!boxVariants.includes(variant))
    fail('BAD_OPTION', `Unknown box variant '${variant}'. Known variants: ${boxVariants.join(', ')}.`);
  for (const [k, v] of [
    ['samples', samples],
    ['steps', steps],
    ['features', features],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) fail('BAD_OPTION', `boxDataset: ${k} must be a positive integer; got ${v}.`);
  }
  const g = boxGeometry(variant, steps, features);
  const rng = seededRng(seed);
  const n = steps * features;
  const x = new Float32Array(samples * n);
  const labels = new Int32Array(samples);
  const boxes: Box[] = [];
  for (let b = 0; b < samples; b++) {
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    labels[b] = sign > 0 ? 1 : 0;
    // Paper: start ~ randint(T − length), i.e. 0 … T − length − 1.
    const t0 = moving ? Math.floor(rng.uniform() * Math.max(1, steps - g.nt)) : g.t0;
    const f0 = moving ? Math.floor(rng.uniform() * Math.max(1, features - g.nf)) : g.f0;
    const box = { t0, t1: t0 + g.nt, f0, f1: f0 + g.nf };
    boxes.push(box);
    const o = b * n;
    for (let i = 0; i < n; i++) x[o + i] = rng.normal();
    for (let t = box.t0; t < box.t1; t++) for (let f = box.f0; f < box.f1; f++) x[o + t * features + f] += sign;
  }
  return { variant, x: { data: x, shape: [samples, steps, features] }, labels, boxes };
}

/** Pure N(0, 1) background samples (N, T, F): what masked cells are replaced with. */
export function boxBackground(samples: number, steps = GRID, features = GRID, seed = 0): NdArray {
  const rng = seededRng(seed);
  return { data: rng.normals(samples * steps * features), shape: [samples, steps, features] };
}

/** The (fixed-position) box of a variant at size T × F; moving boxes have this size. */
export function boxGeometry(
  variant: BoxVariant,
  steps: number,
  features: number,
): { t0: number; nt: number; f0: number; nf: number } {
  const l = LAYOUT[variant === 'moving' ? 'middle' : variant];
  const scale = (v: number, size: number) => Math.round((v * size) / GRID);
  const nt = Math.max(1, Math.min(steps, scale(l.nt, steps)));
  const nf = Math.max(1, Math.min(features, scale(l.nf, features)));
  return { t0: Math.min(steps - nt, scale(l.t0, steps)), nt, f0: Math.min(features - nf, scale(l.f0, features)), nf };
}

/** A 0/1 mask (N, T, F) of the informative cells. */
export function boxMask(data: BoxDataset): Uint8Array {
  const [N, T, F] = data.x.shape;
  const m = new Uint8Array(N * T * F);
  data.boxes.forEach((bx, b) => {
    for (let t = bx.t0; t < bx.t1; t++) for (let f = bx.f0; f < bx.f1; f++) m[(b * T + t) * F + f] = 1;
  });
  return m;
}
