import { t } from '@keraspect/array';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { seededRng } from '../rng.ts';
import type { Problem } from '../problem.ts';
import { gradient } from './gradient.ts';
import { type AnyMethod, type Method, normalizeMethodOptions, type RunContext } from './method.ts';

/**
 * Options of `smoothGrad`. The wrapped method runs `samples` times on x + N(0, σ²) and the results
 * are combined per `variant`.
 */
export interface SmoothGradOptions {
  /** The wrapped method, as a value: any method of the table but `smoothGrad`, e.g. `methods.integratedGradients`. Default `methods.gradient`. */
  wrap: AnyMethod;
  /** Options of the wrapped method (normalized against its description). Default `{}`. */
  wrapOptions: Record<string, unknown>;
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
  options: {
    wrap: {
      type: {
        kind: 'entry',
        optionsIn: 'wrapOptions',
        noun: 'a method of the table (e.g. methods.integratedGradients)',
      },
      doc: 'the method run on the noisy inputs',
      default: gradient,
    },
    wrapOptions: { type: { kind: 'entryOptions', of: 'wrap' }, doc: 'options of the wrapped method', default: {} },
    samples: { type: t.integer({ min: 1 }), doc: 'noise draws', default: 25 },
    noiseLevel: {
      type: t.number({ min: 0 }),
      doc: "σ as a fraction of each sample's value range (max − min), per attributed tensor; ignored when stdev is set",
      default: 0.15,
    },
    stdev: { type: t.number({ min: 0 }), doc: 'absolute σ (overrides noiseLevel)' },
    variant: {
      type: t.enum(['smoothgrad', 'smoothgrad2', 'vargrad']),
      doc: "'smoothgrad' mean of the attributions, 'smoothgrad2' mean of their squares, 'vargrad' their variance",
      default: 'smoothgrad',
    },
  },
  check(o) {
    if (o.wrap === smoothGrad)
      fail('BAD_OPTION', 'smoothGrad cannot wrap itself; pick the method to smooth, e.g. wrap: methods.gradient.');
    return { ...o, wrapOptions: normalizeMethodOptions(`smoothGrad's wrapped ${o.wrap.title}`, o.wrap, o.wrapOptions) };
  },
  wraps: (o) => ({ method: o.wrap, options: o.wrapOptions }),
  async run(p, o, ctx) {
    const inner = o.wrap;
    const innerOptions = o.wrapOptions;
    const rng = seededRng(ctx.seed);
    const sum = p.x.map((x) => new Float64Array(x.data.length));
    const sq = p.x.map((x) => new Float64Array(x.data.length));
    const add = (a: NdArray, t: number, from: number) => {
      const n = sum[t].length;
      for (let k = 0; k < n; k++) {
        const v = a.data[from + k];
        sum[t][k] += v;
        sq[t][k] += v * v;
      }
    };
    // Draws whose rows the wrapped method treats independently go through it together, as many
    // per run as fill internalBatchSize rows (one pass for a single sample); the noise is drawn
    // in the same order either way.
    const together = inner.rowwise?.(innerOptions, p)
      ? Math.max(1, Math.min(o.samples, Math.floor(ctx.internalBatchSize / p.batch)))
      : 1;
    for (let i = 0; i < o.samples; i += together) {
      const draws = Math.min(together, o.samples - i);
      const noisy = Array.from({ length: draws }, () => p.x.map((x) => addNoise(x, o, rng.normal)));
      const innerCtx: RunContext = {
        ...ctx,
        seed: ctx.seed + i + 1,
        progress: (d, t) => ctx.progress(i * p.batch + (d / t) * draws * p.batch, o.samples * p.batch),
      };
      const problem = draws === 1 ? { ...p, x: noisy[0] } : stacked(p, noisy);
      const r = await inner.run(problem, innerOptions, innerCtx);
      r.attributions.forEach((a, t) => {
        for (let d = 0; d < draws; d++) add(a, t, d * sum[t].length);
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

/** The problem over `copies.length` noisy copies of the batch, stacked draw after draw (row d·B + b is sample b). */
function stacked(p: Problem, copies: NdArray[][]): Problem {
  const B = p.batch;
  const D = copies.length;
  const x = p.x.map((x0, t) => {
    const n = x0.data.length;
    const data = new Float32Array(D * n);
    copies.forEach((c, d) => data.set(c[t].data, d * n));
    return { data, shape: [D * B, ...x0.shape.slice(1)] };
  });
  const repeat = <A extends Float32Array | Int32Array>(a: A, make: (n: number) => A): A => {
    const out = make(D * B);
    for (let d = 0; d < D; d++) out.set(a, d * B);
    return out;
  };
  return {
    ...p,
    x,
    batch: D * B,
    units: p.units ? repeat(p.units, (n) => new Int32Array(n)) : null,
    scoresAtX: repeat(p.scoresAtX, (n) => new Float32Array(n)),
    score: (xs, rows) =>
      p.score(
        xs,
        Array.from(rows, (r) => r % B),
      ),
  };
}

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
