import * as tf from '@tensorflow/tfjs';
import { gradRows, type Problem, requireDifferentiable, sizes } from '../problem.ts';
import { pause } from './chunks.ts';
import type { RunContext } from './method.ts';

/** Multipliers and scores of `count` (input, reference) pairs under the DeepLIFT override. */
export interface PairedMultipliers {
  /** Per attributed tensor, `count × n` multipliers ∂ᴰᴸ score / ∂x. */
  multipliers: Float32Array[];
  /** Per attributed tensor, `count × n` references the pairs used. */
  references: Float32Array[];
  /** f(x) and f(x̄) of every pair. */
  fx: Float32Array;
  fref: Float32Array;
}

/**
 * Run the problem (built with the DeepLIFT layer override) on batches of pairs [x; x̄]: pair j is
 * sample `rowOf(j)` and the reference `refInto(j, t, out)` writes for tensor t. Rows per pass stay
 * within `ctx.internalBatchSize` (two per pair).
 */
export async function pairedMultipliers(
  p: Problem,
  ctx: RunContext,
  count: number,
  rowOf: (j: number) => number,
  refInto: (j: number, t: number, out: Float32Array) => void,
): Promise<PairedMultipliers> {
  requireDifferentiable(p);
  const n = sizes(p);
  const multipliers = n.map((k) => new Float32Array(count * k));
  const references = n.map((k) => new Float32Array(count * k));
  for (let j = 0; j < count; j++) n.forEach((k, t) => refInto(j, t, references[t].subarray(j * k, (j + 1) * k)));
  const fx = new Float32Array(count);
  const fref = new Float32Array(count);
  const per = Math.max(1, Math.floor(ctx.internalBatchSize / 2));
  for (let s = 0; s < count; s += per) {
    const m = Math.min(count, s + per) - s;
    const rows = Array.from({ length: 2 * m }, (_, r) => rowOf(s + (r % m)));
    const xs = p.x.map((x, t) => {
      const k = n[t];
      const buf = new Float32Array(2 * m * k);
      for (let r = 0; r < m; r++) {
        const b = rowOf(s + r);
        buf.set(x.data.subarray(b * k, (b + 1) * k), r * k);
        buf.set(references[t].subarray((s + r) * k, (s + r + 1) * k), (m + r) * k);
      }
      return tf.tensor(buf, [2 * m, ...x.shape.slice(1)]);
    });
    try {
      const g = gradRows(p, xs, rows);
      g.grads.forEach((a, t) => multipliers[t].set(a.subarray(0, m * n[t]), s * n[t]));
      fx.set(g.scores.subarray(0, m), s);
      fref.set(g.scores.subarray(m, 2 * m), s);
    } finally {
      tf.dispose(xs);
    }
    ctx.progress(s + m, count);
    await pause();
  }
  return { multipliers, references, fx, fref };
}

/**
 * Attributions averaged over `perSample` consecutive pairs per sample — m ⊙ (x − x̄) with
 * `multiplyByInputs`, else the multipliers m — and the summation-to-delta check
 * Σ m ⊙ (x − x̄) − (f(x) − f(x̄)), averaged the same way.
 */
export function pairedAttributions(
  p: Problem,
  r: PairedMultipliers,
  perSample: number,
  multiplyByInputs: boolean,
): { attributions: { data: Float32Array; shape: number[] }[]; delta: Float32Array } {
  const n = sizes(p);
  const delta = new Float32Array(p.batch);
  const out = n.map((k) => new Float32Array(p.batch * k));
  for (let b = 0; b < p.batch; b++)
    for (let q = 0; q < perSample; q++) {
      const j = b * perSample + q;
      let sum = 0;
      n.forEach((k, t) => {
        const x = p.x[t].data;
        const m = r.multipliers[t];
        const ref = r.references[t];
        for (let i = 0; i < k; i++) {
          const c = m[j * k + i] * (x[b * k + i] - ref[j * k + i]);
          sum += c;
          out[t][b * k + i] += (multiplyByInputs ? c : m[j * k + i]) / perSample;
        }
      });
      delta[b] += (sum - (r.fx[j] - r.fref[j])) / perSample;
    }
  return { attributions: out.map((data, t) => ({ data, shape: [...p.x[t].shape] })), delta };
}
