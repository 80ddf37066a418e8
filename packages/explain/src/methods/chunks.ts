import * as tf from '@tensorflow/tfjs';
import { rowsTensor } from '../inputs.ts';
import { gradRows, type Problem, sizes } from '../problem.ts';
import type { RunContext } from './method.ts';

/**
 * Gradients of the problem's score at every sample, in chunks of `ctx.internalBatchSize`, as one
 * flat array per attributed tensor (batch first). `values` defaults to the problem's own `x`.
 */
export function batchGradients(p: Problem, ctx: RunContext, values = p.x): { grads: Float32Array[]; scores: Float32Array } {
  const n = sizes(p);
  const grads = n.map((k) => new Float32Array(p.batch * k));
  const scores = new Float32Array(p.batch);
  for (let s = 0; s < p.batch; s += ctx.internalBatchSize) {
    const rows = range(s, Math.min(p.batch, s + ctx.internalBatchSize));
    const xs = values.map((v) => rowsTensor(v, rows));
    try {
      const g = gradRows(p, xs, rows);
      g.grads.forEach((a, i) => grads[i].set(a, s * n[i]));
      scores.set(g.scores, s);
    } finally {
      tf.dispose(xs);
    }
    ctx.progress(rows[rows.length - 1] + 1, p.batch);
  }
  return { grads, scores };
}

export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
