import { type KerasModel, type NdArray, predict } from '@keraspect/importer';
import { fail } from './errors.ts';
import type { Attribution } from './explainer.ts';
import { requireFinite } from './methods/reference.ts';
import { seededRng } from './rng.ts';

/**
 * What replaces removed cells (deletion) or fills the not-yet-inserted ones (insertion):
 * - `'zeros'`;
 * - `'mean'`: each feature's mean over the batch and time;
 * - an array: one sample's shape (used for every sample) or the whole batch's shape;
 * - `{ background }`: a background sample (N′, …same per-sample shape); each explained sample takes
 *   the values of one background row drawn with the seed (Ismail et al. 2020 mask with fresh draws
 *   from the data distribution).
 */
export type CurveBaseline = 'zeros' | 'mean' | NdArray | { background: NdArray };

/**
 * Score of one perturbed sample from its model output: `(output row, sample index) → number`.
 * E.g. correctness `(y, b) => argmax(y) === labels[b] ? 1 : 0` gives an accuracy curve.
 */
export type CurveScore = (output: Float32Array, sample: number) => number;

/** Options of {@link deletionCurve}, {@link insertionCurve} and {@link faithfulness}. */
export interface CurveOptions {
  /** Rank single cells (time step × feature), or whole time steps by Σ over features. Default `'cell'`. */
  granularity?: 'cell' | 'step';
  /**
   * Fractions removed/inserted: a number n gives 0, 1/n, …, 1; or a list of fractions in [0, 1]
   * (sorted and deduplicated after rounding to whole cells/steps). Default 20.
   */
  fractions?: number | number[];
  /** What replaces removed cells. Default `'zeros'`. */
  baseline?: CurveBaseline;
  /**
   * How cells are ranked: `'abs'` by |attribution| (default), `'signed'` by attribution (most
   * positive first), or `'random'` — the uninformed control, shuffled with `seed`.
   */
  order?: 'abs' | 'signed' | 'random';
  /** Seed of the random order and of background draws. Default 0. */
  seed?: number;
  /** Which model output. Default 0. */
  output?: number;
  /**
   * The explained unit per sample (flat index into one sample's output). Default: the `units` of
   * the `Attribution` passed in, or unit 0 when the output has one value per sample.
   */
  units?: ArrayLike<number>;
  /** Score perturbed samples with this instead of the explained unit (e.g. correctness). */
  score?: CurveScore;
  /** Divide each sample's curve by its score on the unperturbed input. Default `false`. */
  relative?: boolean;
  /** Perturbed samples per forward pass. Default 64. */
  internalBatchSize?: number;
}

/** A deletion or insertion curve, averaged over samples, with its area. */
export interface PerturbationCurve {
  kind: 'deletion' | 'insertion';
  /** Fraction of cells (or steps) removed/inserted, 0 … 1, increasing. */
  fractions: number[];
  /** Mean score over samples at each fraction. */
  scores: number[];
  /** Area under `scores` over `fractions` (trapezoid rule). */
  auc: number;
  /** Each sample's curve, `perSample[b * fractions.length + i]`. */
  perSample: Float32Array;
  /** Each sample's area. */
  aucs: Float32Array;
}

/** Deletion and insertion of one attribution beside the random-order control. */
export interface FaithfulnessReport {
  deletion: PerturbationCurve;
  insertion: PerturbationCurve;
  randomDeletion: PerturbationCurve;
  randomInsertion: PerturbationCurve;
}

/**
 * Deletion curve (Samek et al. 2017, https://arxiv.org/abs/1509.06321; Petsiuk et al. 2018's
 * "deletion", https://arxiv.org/abs/1806.07421): replace the top-k% attributed cells (or time
 * steps) of each sample by the baseline for growing k and re-predict. A faithful attribution makes
 * the explained score fall fast: lower AUC is better. Forward passes only; batched.
 *
 * @example
 * const res = await createExplainer('integratedGradients', km).attribute(x);
 * deletionCurve(km, x, res, { granularity: 'step', baseline: 'mean' }).auc;
 */
export function deletionCurve(
  km: KerasModel,
  x: NdArray,
  attribution: NdArray | Attribution,
  options: CurveOptions = {},
): PerturbationCurve {
  return perturbationCurve('deletion', km, x, attribution, options);
}

/**
 * Insertion curve (Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421): start from the
 * baseline and put back the top-k% attributed cells (or steps) of the input for growing k. A
 * faithful attribution makes the explained score rise fast: higher AUC is better.
 */
export function insertionCurve(
  km: KerasModel,
  x: NdArray,
  attribution: NdArray | Attribution,
  options: CurveOptions = {},
): PerturbationCurve {
  return perturbationCurve('insertion', km, x, attribution, options);
}

/**
 * Deletion and insertion curves of an attribution and of the random-order control (same
 * baseline, seeded shuffle). An attribution is informative where its deletion AUC is below the
 * control's and its insertion AUC above.
 */
export function faithfulness(
  km: KerasModel,
  x: NdArray,
  attribution: NdArray | Attribution,
  options: CurveOptions = {},
): FaithfulnessReport {
  const random = { ...options, order: 'random' as const };
  return {
    deletion: deletionCurve(km, x, attribution, options),
    insertion: insertionCurve(km, x, attribution, options),
    randomDeletion: deletionCurve(km, x, attribution, random),
    randomInsertion: insertionCurve(km, x, attribution, random),
  };
}

/** Area under `ys` over `xs` by the trapezoid rule (xs increasing). */
export function trapezoid(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  let a = 0;
  for (let i = 1; i < xs.length; i++) a += ((ys[i] + ys[i - 1]) / 2) * (xs[i] - xs[i - 1]);
  return a;
}

/**
 * Each sample's ranking of units (cells, or time steps), most important first. Ties keep index
 * order, so rankings are deterministic. Exported for metrics that mask "the top k%".
 */
export function rankUnits(
  attribution: NdArray,
  granularity: 'cell' | 'step',
  order: 'abs' | 'signed' | 'random',
  seed = 0,
): Int32Array[] {
  const [B] = attribution.shape;
  const per = attribution.data.length / B;
  const steps = granularity === 'step' ? (attribution.shape[1] ?? 1) : per;
  const width = per / steps;
  const rng = seededRng(seed);
  const out: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const idx = Int32Array.from({ length: steps }, (_, i) => i);
    if (order === 'random') {
      for (let i = steps - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
    } else {
      const key = new Float64Array(steps);
      for (let u = 0; u < steps; u++) {
        let m = 0;
        for (let w = 0; w < width; w++) {
          const v = attribution.data[b * per + u * width + w];
          m += order === 'abs' ? Math.abs(v) : v;
        }
        key[u] = Number.isFinite(m) ? m : -Infinity;
      }
      idx.sort((p, q) => key[q] - key[p] || p - q);
    }
    out.push(idx);
  }
  return out;
}

function perturbationCurve(
  kind: 'deletion' | 'insertion',
  km: KerasModel,
  x: NdArray,
  attribution: NdArray | Attribution,
  options: CurveOptions,
): PerturbationCurve {
  const attr = 'attributions' in attribution ? attribution.attributions[0] : attribution;
  const {
    granularity = 'cell',
    fractions = 20,
    baseline = 'zeros',
    order = 'abs',
    seed = 0,
    output = 0,
    relative = false,
    internalBatchSize = 64,
    score,
  } = options;
  const units = options.units ?? ('attributions' in attribution ? (attribution.units ?? undefined) : undefined);
  // Validate once, here.
  if (km.inputNames.length !== 1)
    fail(
      'BAD_OPTION',
      `${kind}Curve works on single-input models; '${km.name}' has ${km.inputNames.length} inputs (${km.inputNames.join(', ')}).`,
    );
  if (x.shape.length < 2 || x.shape[0] < 1)
    fail('INPUT_SHAPE', `${kind}Curve: x must be batch first with at least one sample; got shape [${x.shape}].`);
  if (attr.shape.join() !== x.shape.join())
    fail(
      'INPUT_SHAPE',
      `${kind}Curve: the attribution has shape [${attr.shape}] but x has shape [${x.shape}]; they must match (attribute to the model input, not to a layer).`,
    );
  if (granularity !== 'cell' && granularity !== 'step')
    fail('BAD_OPTION', `${kind}Curve: granularity must be 'cell' or 'step'; got ${JSON.stringify(granularity)}.`);
  if (order !== 'abs' && order !== 'signed' && order !== 'random')
    fail('BAD_OPTION', `${kind}Curve: order must be 'abs', 'signed' or 'random'; got ${JSON.stringify(order)}.`);
  if (!Number.isInteger(internalBatchSize) || internalBatchSize < 1)
    fail('BAD_OPTION', `${kind}Curve: internalBatchSize must be a positive integer; got ${internalBatchSize}.`);
  if (!Number.isInteger(output) || output < 0 || output >= km.outputNames.length)
    fail(
      'BAD_TARGET',
      `${kind}Curve: model '${km.name}' has ${km.outputNames.length} output(s); output ${output} does not exist.`,
    );
  const B = x.shape[0];
  const per = x.data.length / B;
  const nUnits = granularity === 'step' ? x.shape[1] : per;
  const width = per / nUnits;
  const ks = unitCounts(fractions, nUnits, kind);
  const fill = baselineValues(x, baseline, seed, kind);
  const ranks = rankUnits(attr, granularity, order, seed);
  if (units && units.length !== B)
    fail('BAD_TARGET', `${kind}Curve: ${B} sample(s) but ${units.length} unit(s) were given.`);

  // Every (sample, k) variant, evaluated in chunks of internalBatchSize rows.
  const K = ks.length;
  const perSample = new Float32Array(B * K);
  const rows = B * K;
  let outPer = 0;
  for (let s = 0; s < rows; s += internalBatchSize) {
    const n = Math.min(internalBatchSize, rows - s);
    const data = new Float32Array(n * per);
    for (let r = 0; r < n; r++) {
      const b = Math.floor((s + r) / K);
      const k = ks[(s + r) % K];
      const xs = x.data.subarray(b * per, (b + 1) * per);
      const fs = fill.subarray(fill.length === per ? 0 : b * per, fill.length === per ? per : (b + 1) * per);
      const o = r * per;
      // Deletion: x with the top k units from the baseline. Insertion: the baseline with the top k units from x.
      data.set(kind === 'deletion' ? xs : fs, o);
      const src = kind === 'deletion' ? fs : xs;
      const rank = ranks[b];
      for (let i = 0; i < k; i++) {
        const u0 = rank[i] * width;
        for (let w = 0; w < width; w++) data[o + u0 + w] = src[u0 + w];
      }
    }
    const y = predict(km, { data, shape: [n, ...x.shape.slice(1)] })[output];
    outPer = y.data.length / n;
    for (let r = 0; r < n; r++) {
      const b = Math.floor((s + r) / K);
      const row = y.data.subarray(r * outPer, (r + 1) * outPer) as Float32Array;
      if (score) perSample[s + r] = score(row, b);
      else {
        const u = units ? units[b] : 0;
        if (!units && outPer !== 1)
          fail(
            'BAD_TARGET',
            `${kind}Curve: output ${output} has ${outPer} values per sample; say which one is explained (units, or pass the Attribution from an explainer) or give a score function.`,
          );
        if (!Number.isInteger(u) || u < 0 || u >= outPer)
          fail('BAD_TARGET', `${kind}Curve: unit ${u} of sample ${b} is out of range 0…${outPer - 1}.`);
        perSample[s + r] = row[u];
      }
    }
  }
  const fr = ks.map((k) => k / nUnits);
  if (relative) {
    for (let b = 0; b < B; b++) {
      // Deletion starts at f(x) (k = 0); insertion ends there (k = all).
      const ref = perSample[b * K + (kind === 'deletion' ? 0 : K - 1)];
      for (let i = 0; i < K; i++) perSample[b * K + i] = Math.abs(ref) > 1e-12 ? perSample[b * K + i] / ref : 0;
    }
  }
  const aucs = new Float32Array(B);
  for (let b = 0; b < B; b++) aucs[b] = trapezoid(fr, perSample.subarray(b * K, (b + 1) * K));
  const scores = fr.map((_, i) => {
    let m = 0;
    for (let b = 0; b < B; b++) m += perSample[b * K + i];
    return m / B;
  });
  return { kind, fractions: fr, scores, auc: trapezoid(fr, scores), perSample, aucs };
}

/** Whole numbers of units for the requested fractions (always including 0 and all units). */
function unitCounts(fractions: number | number[], nUnits: number, kind: string): number[] {
  let fs: number[];
  if (typeof fractions === 'number') {
    if (!Number.isInteger(fractions) || fractions < 1)
      fail(
        'BAD_OPTION',
        `${kind}Curve: fractions must be a positive integer (number of intervals) or a list of fractions; got ${fractions}.`,
      );
    fs = Array.from({ length: fractions + 1 }, (_, i) => i / fractions);
  } else {
    if (!Array.isArray(fractions) || fractions.some((f) => !(f >= 0 && f <= 1)))
      fail('BAD_OPTION', `${kind}Curve: fractions must lie in [0, 1]; got ${JSON.stringify(fractions)}.`);
    fs = fractions;
  }
  return [...new Set(fs.map((f) => Math.round(f * nUnits)))].sort((a, b) => a - b);
}

/** The replacement values: one sample's worth (length per) or one per sample (length B·per). */
function baselineValues(x: NdArray, baseline: CurveBaseline, seed: number, kind: string): Float32Array {
  const B = x.shape[0];
  const per = x.data.length / B;
  if (baseline === 'zeros') return new Float32Array(per);
  if (baseline === 'mean') {
    const F = x.shape.length >= 3 ? x.shape[x.shape.length - 1] : 1;
    const sums = new Float64Array(F);
    for (let i = 0; i < x.data.length; i++) sums[i % F] += x.data[i];
    const out = new Float32Array(per);
    for (let i = 0; i < per; i++) out[i] = sums[i % F] / (x.data.length / F);
    return out;
  }
  if (typeof baseline === 'object' && baseline !== null && 'background' in baseline) {
    const bg = baseline.background;
    requireFinite(bg, `${kind}Curve: the background sample`);
    if (bg.shape.slice(1).join() !== x.shape.slice(1).join() || bg.shape[0] < 1) {
      fail(
        'INPUT_SHAPE',
        `${kind}Curve: the background sample has shape [${bg.shape}]; it needs at least one row of the input's per-sample shape [${x.shape.slice(1)}].`,
      );
    }
    // A different stream from the random order's, so both stay reproducible on their own.
    const rng = seededRng((seed ^ 0x5bd1e995) >>> 0);
    const out = new Float32Array(B * per);
    for (let b = 0; b < B; b++) {
      const r = Math.floor(rng.uniform() * bg.shape[0]);
      out.set(bg.data.subarray(r * per, (r + 1) * per), b * per);
    }
    return out;
  }
  if (typeof baseline === 'object' && baseline !== null && 'data' in baseline && 'shape' in baseline) {
    const b = baseline as NdArray;
    requireFinite(b, `${kind}Curve: the baseline`);
    if (b.data.length === per && b.shape.join() === x.shape.slice(1).join()) return Float32Array.from(b.data);
    if (b.shape.join() === x.shape.join()) return Float32Array.from(b.data);
    fail(
      'INPUT_SHAPE',
      `${kind}Curve: a baseline array must have one sample's shape [${x.shape.slice(1)}] or the batch's [${x.shape}]; got [${b.shape}].`,
    );
  }
  return fail(
    'BAD_OPTION',
    `${kind}Curve: baseline must be 'zeros', 'mean', an array or { background }; got ${JSON.stringify(baseline)}.`,
  );
}
