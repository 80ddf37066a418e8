import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { seededRng } from '../rng.ts';
import type { Method, RunContext } from './method.ts';

/**
 * Options of `smoothGrad`. The wrapped method runs `samples` times on x + N(0, σ²) and the results
 * are combined per `variant`.
 */
export interface SmoothGradOptions {
  /** The wrapped method (any name in the table but `smoothGrad`). Default `'gradient'`. */
  method: string;
  /** Options of the wrapped method. Default `{}`. */
  methodOptions: Record<string, unknown>;
  /** Noise draws. Default 25. */
  samples: number;
  /**
   * σ as a fraction of each sample's value range (max − min), per attributed tensor — Smilkov et
   * al.'s noise level. Default 0.15. Ignored when `stdev` is set.
   */
  noiseLevel: number;
  /** Absolute σ (overrides `noiseLevel`). */
  stdev?: number;
  /**
   * `'smoothgrad'` mean of attributions (default); `'smoothgrad2'` mean of their squares
   * (SmoothGrad², Hooker et al. 2019); `'vargrad'` their variance (Adebayo et al. 2018).
   */
  variant: 'smoothgrad' | 'smoothgrad2' | 'vargrad';
}

/**
 * `smoothGrad`: a noise wrapper over any method (Captum's NoiseTunnel). Smilkov et al. 2017,
 * "SmoothGrad: removing noise by adding noise", https://arxiv.org/abs/1706.03825; SmoothGrad²
 * https://arxiv.org/abs/1806.10758; VarGrad https://arxiv.org/abs/1810.03292
 */
export const smoothGrad: Method<SmoothGradOptions> = {
  title: 'SmoothGrad (noise wrapper)',
  paper: 'https://arxiv.org/abs/1706.03825',
  usesGradients: true,
  normalize({
    method = 'gradient',
    methodOptions = {},
    samples = 25,
    noiseLevel = 0.15,
    stdev,
    variant = 'smoothgrad',
  }) {
    if (method === 'smoothGrad')
      fail('BAD_OPTION', `smoothGrad cannot wrap itself; pick the method to smooth, e.g. method: 'gradient'.`);
    if (!Number.isInteger(samples) || samples < 1)
      fail('BAD_OPTION', `smoothGrad: samples must be a positive integer; got ${samples}.`);
    if (!(noiseLevel >= 0) || (stdev !== undefined && !(stdev >= 0)))
      fail('BAD_OPTION', `smoothGrad: noise must be ≥ 0; got noiseLevel ${noiseLevel}, stdev ${stdev}.`);
    if (!['smoothgrad', 'smoothgrad2', 'vargrad'].includes(variant))
      fail(
        'BAD_OPTION',
        `smoothGrad: variant must be 'smoothgrad', 'smoothgrad2' or 'vargrad'; got ${JSON.stringify(variant)}.`,
      );
    return { method, methodOptions, samples, noiseLevel, stdev, variant };
  },
  async run(p, o, ctx) {
    const inner = ctx.method(o.method);
    const innerOptions = inner.normalize(o.methodOptions);
    const rng = seededRng(ctx.seed);
    const sum = p.x.map((x) => new Float64Array(x.data.length));
    const sq = p.x.map((x) => new Float64Array(x.data.length));
    for (let i = 0; i < o.samples; i++) {
      const noisy: NdArray[] = p.x.map((x) => addNoise(x, o, rng.normal));
      const innerCtx: RunContext = {
        ...ctx,
        seed: ctx.seed + i + 1,
        progress: (d, t) => ctx.progress(i * t + d, o.samples * t),
      };
      const r = await inner.run({ ...p, x: noisy }, innerOptions, innerCtx);
      r.attributions.forEach((a, t) => {
        for (let k = 0; k < a.data.length; k++) {
          sum[t][k] += a.data[k];
          sq[t][k] += a.data[k] * a.data[k];
        }
      });
    }
    const attributions = p.x.map((x, t) => {
      const out = new Float32Array(x.data.length);
      for (let k = 0; k < out.length; k++) {
        const m = sum[t][k] / o.samples;
        const m2 = sq[t][k] / o.samples;
        out[k] = o.variant === 'smoothgrad' ? m : o.variant === 'smoothgrad2' ? m2 : Math.max(0, m2 - m * m);
      }
      return { data: out, shape: [...x.shape] };
    });
    return { attributions };
  },
};

function addNoise(x: NdArray, o: SmoothGradOptions, normal: () => number): NdArray {
  const batch = x.shape[0];
  const n = x.data.length / batch;
  const out = new Float32Array(x.data.length);
  for (let b = 0; b < batch; b++) {
    let sigma = o.stdev;
    if (sigma === undefined) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < n; k++) {
        lo = Math.min(lo, x.data[b * n + k]);
        hi = Math.max(hi, x.data[b * n + k]);
      }
      sigma = o.noiseLevel * (hi - lo);
    }
    for (let k = 0; k < n; k++) out[b * n + k] = x.data[b * n + k] + (sigma === 0 ? 0 : sigma * normal());
  }
  return { data: out, shape: x.shape };
}
