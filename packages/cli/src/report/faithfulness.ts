import { type KerasModel, type NdArray, predict } from '@keraspect/importer';

/** A deletion curve: the explained score as the most-attributed time steps are removed. */
export interface DeletionCurve {
  /** Fraction of time steps removed, 0…1. */
  fractions: number[];
  /** Mean over samples of score(x with those steps set to 0) / score(x). */
  scores: number[];
  /** Area under the curve (trapezoid over the fraction): lower means the attribution found what mattered. */
  auc: number;
}

/**
 * Deletion faithfulness (Samek et al. 2017; Petsiuk et al. 2018's "deletion" metric) for time
 * series: rank time steps by Σ_features |attribution|, zero the top k for growing k, and follow the
 * explained output unit. `order` 'random' gives the reference curve of an uninformed ranking.
 */
export function deletionCurve(km: KerasModel, x: NdArray, attribution: NdArray, units: ArrayLike<number> | null, options: { points?: number; order?: 'attribution' | 'random'; seed?: number } = {}): DeletionCurve {
  const { points = 16, order = 'attribution', seed = 1 } = options;
  const [B, T] = x.shape;
  const per = x.data.length / B;
  const F = per / T;
  const ks = [...new Set(Array.from({ length: points + 1 }, (_, i) => Math.round((i * T) / points)))];
  const rankings: number[][] = [];
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 4294967296);
  for (let b = 0; b < B; b++) {
    const steps = Array.from({ length: T }, (_, t) => t);
    if (order === 'random') {
      for (let i = T - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [steps[i], steps[j]] = [steps[j], steps[i]];
      }
    } else {
      const mass = steps.map((t) => {
        let m = 0;
        for (let f = 0; f < F; f++) m += Math.abs(attribution.data[b * per + t * F + f]);
        return m;
      });
      steps.sort((p, q) => mass[q] - mass[p]);
    }
    rankings.push(steps);
  }
  // One batch holding every (sample, k) variant.
  const batch = new Float32Array(B * ks.length * per);
  ks.forEach((k, ki) => {
    for (let b = 0; b < B; b++) {
      const o = (ki * B + b) * per;
      batch.set(x.data.subarray(b * per, (b + 1) * per), o);
      for (const t of rankings[b].slice(0, k)) batch.fill(0, o + t * F, o + (t + 1) * F);
    }
  });
  const [y] = predict(km, { data: batch, shape: [B * ks.length, ...x.shape.slice(1)] });
  const outPer = y.data.length / (B * ks.length);
  const score = (ki: number, b: number) => y.data[(ki * B + b) * outPer + (units ? units[b] : 0)];
  const scores = ks.map((_, ki) => {
    let m = 0;
    for (let b = 0; b < B; b++) {
      const s0 = score(0, b);
      m += Math.abs(s0) > 1e-12 ? score(ki, b) / s0 : 0;
    }
    return m / B;
  });
  const fractions = ks.map((k) => k / T);
  let auc = 0;
  for (let i = 1; i < ks.length; i++) auc += ((scores[i] + scores[i - 1]) / 2) * (fractions[i] - fractions[i - 1]);
  return { fractions, scores, auc };
}
