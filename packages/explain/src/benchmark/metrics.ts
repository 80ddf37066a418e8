import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { deletionCurve, rankUnits, trapezoid } from '../faithfulness.ts';
import { seededRng } from '../rng.ts';

/** Masked fractions of Ismail et al. 2020's precision/recall curves: 10 %, 20 %, …, 90 %. */
export const PR_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Saliency-weighted precision and recall against the informative cells, per masked fraction. */
export interface PrecisionRecall {
  fractions: number[];
  /** Mean over samples of Σ_{top∩box} s / Σ_{top} s. */
  precision: number[];
  /** Mean over samples of Σ_{top∩box} s / Σ_{box} s. */
  recall: number[];
  /** Area under precision over the fractions, divided by their range (1 = perfect). */
  aup: number;
  /** Area under recall over the fractions, divided by their range. */
  aur: number;
}

/**
 * Saliency-weighted precision and recall of Ismail et al. 2020 (https://arxiv.org/abs/2010.13924,
 * their `getPrecisionRecall.py`): saliency s is |attribution| min–max rescaled to [0, 1] per
 * sample; the top k% cells by saliency are "positives"; true positives are those inside the box.
 * Precision = Σ_TP s / (Σ_TP s + Σ_FP s), recall = Σ_TP s / (Σ_TP s + Σ_FN s), averaged over the
 * samples where the denominator is positive. `informative` is a 0/1 mask shaped like the attribution.
 */
export function saliencyPrecisionRecall(
  attribution: NdArray,
  informative: ArrayLike<number>,
  fractions: number[] = PR_FRACTIONS,
): PrecisionRecall {
  const B = attribution.shape[0];
  const per = attribution.data.length / B;
  if (informative.length !== attribution.data.length)
    fail(
      'INPUT_SHAPE',
      `saliencyPrecisionRecall: the informative mask has ${informative.length} values but the attribution has ${attribution.data.length} (shape [${attribution.shape}]).`,
    );
  if (fractions.length < 1 || fractions.some((f) => !(f > 0 && f <= 1)))
    fail('BAD_OPTION', `saliencyPrecisionRecall: fractions must lie in (0, 1]; got ${JSON.stringify(fractions)}.`);
  const ranks = rankUnits(attribution, 'cell', 'abs');
  const sal = rescaledSaliency(attribution);
  const precision: number[] = [];
  const recall: number[] = [];
  for (const f of fractions) {
    const k = Math.round(f * per);
    let pSum = 0;
    let pN = 0;
    let rSum = 0;
    let rN = 0;
    for (let b = 0; b < B; b++) {
      const o = b * per;
      let tp = 0;
      let fp = 0;
      let box = 0;
      for (let i = 0; i < per; i++) if (informative[o + i]) box += sal[o + i];
      for (let i = 0; i < k; i++) {
        const c = o + ranks[b][i];
        if (informative[c]) tp += sal[c];
        else fp += sal[c];
      }
      if (tp + fp > 0) {
        pSum += tp / (tp + fp);
        pN++;
      }
      if (box > 0) {
        rSum += tp / box;
        rN++;
      }
    }
    precision.push(pN ? pSum / pN : 0);
    recall.push(rN ? rSum / rN : 0);
  }
  const span = fractions[fractions.length - 1] - fractions[0];
  const area = (ys: number[]) => (span > 0 ? trapezoid(fractions, ys) / span : ys[0]);
  return { fractions, precision, recall, aup: area(precision), aur: area(recall) };
}

/** |attribution| min–max rescaled to [0, 1] within each sample (all-equal samples become 0). */
export function rescaledSaliency(attribution: NdArray): Float32Array {
  const B = attribution.shape[0];
  const per = attribution.data.length / B;
  const out = new Float32Array(attribution.data.length);
  for (let b = 0; b < B; b++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = b * per; i < (b + 1) * per; i++) {
      const v = Math.abs(attribution.data[i]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const d = hi - lo;
    for (let i = b * per; i < (b + 1) * per; i++) out[i] = d > 0 ? (Math.abs(attribution.data[i]) - lo) / d : 0;
  }
  return out;
}

/** Options of {@link accuracyDrop}. */
export interface AccuracyDropOptions {
  /** Background sample whose values replace masked cells (one row drawn per sample with `seed`). */
  background: NdArray;
  /** Masked fractions. Default 0, 0.1, …, 1. */
  fractions?: number | number[];
  /** Seed of the background draws. Default 0. */
  seed?: number;
  /** Which output holds the class scores. Default 0. */
  output?: number;
  /** Rows per forward pass. Default 64. */
  internalBatchSize?: number;
}

/** Accuracy as the most salient cells are masked. */
export interface AccuracyDrop {
  fractions: number[];
  accuracy: number[];
  /** Area under the accuracy curve (lower: the saliency found what the model uses). */
  auc: number;
  /** Area under the drop from the unmasked accuracy, acc(0) − acc(k) (higher is better). */
  dropAuc: number;
}

/**
 * Ismail et al. 2020's accuracy drop: replace the top-k% salient cells (by |attribution|) with
 * values from the background distribution and measure accuracy (argmax class = label) as k grows.
 * A deletion curve whose score is correctness.
 */
export function accuracyDrop(
  km: KerasModel,
  x: NdArray,
  labels: ArrayLike<number>,
  attribution: NdArray,
  options: AccuracyDropOptions,
): AccuracyDrop {
  const { background, fractions = 10, seed = 0, output = 0, internalBatchSize = 64 } = options;
  if (labels.length !== x.shape[0])
    fail('BAD_TARGET', `accuracyDrop: ${x.shape[0]} sample(s) but ${labels.length} label(s).`);
  const correct = (y: Float32Array, b: number) => {
    let best = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[best]) best = j;
    return best === labels[b] ? 1 : 0;
  };
  const c = deletionCurve(km, x, attribution, {
    baseline: { background },
    fractions,
    seed,
    output,
    internalBatchSize,
    score: correct,
  });
  const drop = c.scores.map((a) => c.scores[0] - a);
  return { fractions: c.fractions, accuracy: c.scores, auc: c.auc, dropAuc: trapezoid(c.fractions, drop) };
}

/** The random-saliency control: uniform values in [0, 1), seeded, shaped like `like`. */
export function randomSaliency(like: NdArray, seed = 0): NdArray {
  const rng = seededRng(seed);
  return { data: Float32Array.from({ length: like.data.length }, () => rng.uniform()), shape: [...like.shape] };
}
