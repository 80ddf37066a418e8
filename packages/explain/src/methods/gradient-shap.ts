import { t } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import { gradRows, requireDifferentiable, scoreRows, sizes } from '../problem.ts';
import { seededRng } from '../rng.ts';
import { type Background, backgroundRows, backgroundType } from './background.ts';
import { pause } from './chunks.ts';
import type { Method } from './method.ts';

/** Options of `gradientShap`. */
export interface GradientShapOptions {
  /** The references (see {@link Background}). Default `'batch'`. */
  background: Background;
  /** Draws per sample (Captum's `n_samples`). Default 5. */
  samples: number;
  /** σ of the Gaussian noise added to the input at each draw (Captum's `stdevs`). Default 0. */
  stdev: number;
  /** Multiply the gradients by x − x̄ (Captum's `multiply_by_inputs`). Default `true`. */
  multiplyByInputs: boolean;
}

/**
 * `gradientShap`: expected gradients — for each draw a reference x̄ from the background, noise
 * ε ~ N(0, σ²) and α ~ U(0, 1), the gradient at x̄ + α(x + ε − x̄) times (x + ε − x̄), averaged over
 * the draws (Captum's `GradientShap`: NoiseTunnel over InputBaselineXGradient), drawn with the run's
 * seed; all draws of all samples go through the model together in `internalBatchSize` rows.
 * `delta` averages Σattr − (f(x + ε) − f(x̄)) over the draws (0 in expectation). Lundberg & Lee
 * 2017, https://arxiv.org/abs/1705.07874; Erion et al. 2021, https://arxiv.org/abs/1906.10670
 */
export const gradientShap: Method<GradientShapOptions> = {
  title: 'GradientSHAP',
  paper: 'https://arxiv.org/abs/1705.07874',
  usesGradients: true,
  options: {
    background: {
      type: backgroundType,
      doc: "the references: 'batch' (the explained samples) or an array of K samples [K, …]",
      default: 'batch',
    },
    samples: { type: t.integer({ min: 1 }), doc: "draws per sample (Captum's n_samples)", default: 5 },
    stdev: {
      type: t.number({ min: 0 }),
      doc: "σ of the Gaussian noise added to the input at each draw (Captum's stdevs)",
      default: 0,
    },
    multiplyByInputs: {
      type: t.boolean,
      doc: "multiply the gradients by x − x̄ (Captum's multiply_by_inputs)",
      default: true,
    },
  },
  async run(p, o, ctx) {
    requireDifferentiable(p);
    const bg = backgroundRows(p, o.background, 'gradientShap');
    const n = sizes(p);
    const S = o.samples;
    const total = p.batch * S;
    const rng = seededRng(ctx.seed);
    // Draw j (sample ⌊j/S⌋): background row, α, and the noisy input x + ε.
    const pick = new Int32Array(total);
    const alpha = new Float32Array(total);
    const noisy = n.map((k) => new Float32Array(total * k));
    for (let j = 0; j < total; j++) {
      const b = Math.floor(j / S);
      pick[j] = Math.min(bg.count - 1, Math.floor(rng.uniform() * bg.count));
      alpha[j] = rng.uniform();
      n.forEach((k, t) => {
        const x = p.x[t].data;
        for (let i = 0; i < k; i++) noisy[t][j * k + i] = x[b * k + i] + (o.stdev ? o.stdev * rng.normal() : 0);
      });
    }
    const out = n.map((k) => new Float32Array(p.batch * k));
    const sums = new Float64Array(total);
    for (let s = 0; s < total; s += ctx.internalBatchSize) {
      const m = Math.min(total, s + ctx.internalBatchSize) - s;
      const rows = Array.from({ length: m }, (_, r) => Math.floor((s + r) / S));
      const xs = n.map((k, t) => {
        const buf = new Float32Array(m * k);
        for (let r = 0; r < m; r++) {
          const j = s + r;
          const base = pick[j] * k;
          for (let i = 0; i < k; i++) {
            const x0 = bg.rows[t][base + i];
            buf[r * k + i] = x0 + alpha[j] * (noisy[t][j * k + i] - x0);
          }
        }
        return tf.tensor(buf, [m, ...p.x[t].shape.slice(1)]);
      });
      try {
        const g = gradRows(p, xs, rows);
        for (let r = 0; r < m; r++) {
          const j = s + r;
          const b = rows[r];
          g.grads.forEach((gt, t) => {
            const k = n[t];
            for (let i = 0; i < k; i++) {
              const c = gt[r * k + i] * (noisy[t][j * k + i] - bg.rows[t][pick[j] * k + i]);
              sums[j] += c;
              out[t][b * k + i] += (o.multiplyByInputs ? c : gt[r * k + i]) / S;
            }
          });
        }
      } finally {
        tf.dispose(xs);
      }
      ctx.progress(s + m, total);
      await pause();
    }
    const all = Array.from({ length: total }, (_, j) => Math.floor(j / S));
    const fNoisy = scoreRows(
      p,
      noisy.map((data, t) => ({ data, shape: [total, ...p.x[t].shape.slice(1)] })),
      all,
      ctx.internalBatchSize,
    );
    const refs = n.map((k, t) => {
      const data = new Float32Array(total * k);
      for (let j = 0; j < total; j++) data.set(bg.rows[t].subarray(pick[j] * k, (pick[j] + 1) * k), j * k);
      return { data, shape: [total, ...p.x[t].shape.slice(1)] };
    });
    const fRef = scoreRows(p, refs, all, ctx.internalBatchSize);
    const delta = new Float32Array(p.batch);
    for (let j = 0; j < total; j++) delta[Math.floor(j / S)] += (sums[j] - (fNoisy[j] - fRef[j])) / S;
    return { attributions: out.map((data, t) => ({ data, shape: [...p.x[t].shape] })), delta };
  },
};
