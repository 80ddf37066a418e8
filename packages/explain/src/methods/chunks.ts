import * as tf from '@tensorflow/tfjs';
import { rowsTensor } from '../inputs.ts';
import { gradRows, type Problem, sizes } from '../problem.ts';
import type { RunContext } from './method.ts';

/**
 * Gradients of the problem's score at every sample, in chunks of `ctx.internalBatchSize`, as one
 * flat array per attributed tensor (batch first). `values` defaults to the problem's own `x`.
 * A generator: it stops after each chunk, so async callers can let the event loop run (progress
 * output, Ctrl-C, test-runner heartbeats) between chunks of long runs.
 */
function* gradientChunks(
  p: Problem,
  ctx: RunContext,
  values: Problem['x'],
): Generator<void, { grads: Float32Array[]; scores: Float32Array }> {
  const n = sizes(p);
  const grads = n.map((k) => new Float32Array(p.batch * k));
  const scores = new Float32Array(p.batch);
  for (let s = 0; s < p.batch; s += ctx.internalBatchSize) {
    const rows = range(s, Math.min(p.batch, s + ctx.internalBatchSize));
    const xs = values.map((v) => rowsTensor(v, rows));
    try {
      const g = gradRows(p, xs, rows, values);
      g.grads.forEach((a, i) => grads[i].set(a, s * n[i]));
      scores.set(g.scores, s);
    } finally {
      tf.dispose(xs);
    }
    ctx.progress(rows[rows.length - 1] + 1, p.batch);
    yield;
  }
  return { grads, scores };
}

/** {@link gradientChunks} run to the end in one go (for the synchronous gradient API). */
export function batchGradients(
  p: Problem,
  ctx: RunContext,
  values = p.x,
): { grads: Float32Array[]; scores: Float32Array } {
  const it = gradientChunks(p, ctx, values);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/** {@link gradientChunks} with the event loop let through between chunks. */
export async function batchGradientsAsync(
  p: Problem,
  ctx: RunContext,
  values = p.x,
): Promise<{ grads: Float32Array[]; scores: Float32Array }> {
  const it = gradientChunks(p, ctx, values);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await pause();
  }
}

/** Let pending I/O and timers run (between chunks of long computations); browsers have no setImmediate. */
export function pause(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
