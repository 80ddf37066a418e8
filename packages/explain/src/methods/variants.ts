import * as tf from '@tensorflow/tfjs';
import type { Problem } from '../problem.ts';
import { sizes } from '../problem.ts';
import { pause } from './chunks.ts';
import type { RunContext } from './method.ts';

/** Values of one variant, one buffer per attributed tensor, pre-filled with its sample's values. */
export type VariantValues = (Float32Array | Int32Array)[];

/** Shared progress of a run made of several stages of forward passes. */
export interface Tally {
  done: number;
  total: number;
}

/**
 * Scores of `count` perturbed copies of the problem's samples, evaluated in chunks of
 * `ctx.internalBatchSize` rows. Variant j starts as sample `rowOf(j)` and `edit(j, values)` changes
 * it in place. Forward passes only (the method needs no gradients).
 */
export async function scoreVariants(
  p: Problem,
  ctx: RunContext,
  count: number,
  rowOf: (j: number) => number,
  edit: (j: number, values: VariantValues) => void,
  tally: Tally = { done: 0, total: count },
): Promise<Float32Array> {
  const n = sizes(p);
  const out = new Float32Array(count);
  for (let s = 0; s < count; s += ctx.internalBatchSize) {
    const m = Math.min(count, s + ctx.internalBatchSize) - s;
    const bufs = n.map((k, t) => (p.dtypes[t] === 'int32' ? new Int32Array(m * k) : new Float32Array(m * k)));
    const rows = new Int32Array(m);
    const one: VariantValues = n.map((k, t) => (p.dtypes[t] === 'int32' ? new Int32Array(k) : new Float32Array(k)));
    for (let r = 0; r < m; r++) {
      const b = rowOf(s + r);
      rows[r] = b;
      p.x.forEach((x, t) => one[t].set(x.data.subarray(b * n[t], b * n[t] + n[t])));
      edit(s + r, one);
      one.forEach((v, t) => bufs[t].set(v, r * n[t]));
    }
    const scores = tf.tidy(() =>
      p.score(
        bufs.map((d, t) => tf.tensor(d, [m, ...p.x[t].shape.slice(1)], p.dtypes[t])),
        rows,
      ),
    );
    out.set(scores.dataSync() as Float32Array, s);
    scores.dispose();
    tally.done += m;
    ctx.progress(tally.done, tally.total);
    await pause();
  }
  return out;
}
