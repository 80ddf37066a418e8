import { t } from '@keraspect/array';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import type { Problem } from '../problem.ts';
import { range } from './chunks.ts';
import { gradient } from './gradient.ts';
import { type AnyMethod, type Method, normalizeMethodOptions, type RunContext } from './method.ts';
import { type Reference, refAt, referenceType, referenceValues } from './reference.ts';

/** Options of `temporalSaliencyRescaling`. */
export interface TemporalSaliencyRescalingOptions {
  /** The wrapped method, as a value: any method of the table but this one, e.g. `methods.integratedGradients`. Default `methods.gradient`. */
  wrap: AnyMethod;
  /** Options of the wrapped method (normalized against its description). Default `{}`. */
  wrapOptions: Record<string, unknown>;
  /**
   * Step 1, each time step's relevance: `'mean'` (default, the authors' published code) the mean
   * |attribution| of the step; `'masking'` (the paper's Algorithm 1) Σ|R(x) − R(x with the step
   * masked)|, one more run of the wrapped method per step.
   */
  timeRelevance: 'mean' | 'masking';
  /** Steps whose min–max scaled relevance is above this quantile get step 2. Default 0.55 (the authors' code). */
  quantile: number;
  /**
   * Step 2 masks one feature of a selected step at a time (`'each'`, default), or feature groups
   * (index lists like `[[0, 1, 2], [3, 4]]`) to cut the cost F-fold to the number of groups.
   */
  features: 'each' | number[][];
  /** What masked values become (see {@link Reference}). Default `'zeros'`. */
  baseline: Reference;
}

/**
 * `temporalSaliencyRescaling` (TSR): a two-step wrapper over any method for (batch, steps,
 * features) inputs. Step 1 scores each time step (see `timeRelevance`), min–max scaled; step 2,
 * for the steps above the `quantile`, masks each feature (group) of the step and scores it by
 * Σ|R(x) − R(x masked)|, min–max scaled over the features (other steps get 0.1); the result is
 * time relevance × feature relevance, as in the authors' code
 * (github.com/ayaabdelsalam91/TS-Interpretability-Benchmark). All masked copies of a sample go
 * through the wrapped method together. Ismail, Gunady, Corrada Bravo & Feizi 2020, "Benchmarking
 * Deep Learning Interpretability in Time Series Predictions", https://arxiv.org/abs/2010.13924
 */
export const temporalSaliencyRescaling: Method<TemporalSaliencyRescalingOptions> = {
  title: 'Temporal Saliency Rescaling (wrapper)',
  paper: 'https://arxiv.org/abs/2010.13924',
  usesGradients: true,
  options: {
    wrap: {
      type: {
        kind: 'entry',
        optionsIn: 'wrapOptions',
        noun: 'any other method of the table (e.g. methods.integratedGradients)',
      },
      doc: 'the method whose attributions are rescaled',
      default: gradient,
    },
    wrapOptions: { type: { kind: 'entryOptions', of: 'wrap' }, doc: 'options of the wrapped method', default: {} },
    timeRelevance: {
      type: t.enum(['mean', 'masking']),
      doc: "each time step's relevance: 'mean' |attribution| (the authors' code) or 'masking' (the paper's Algorithm 1)",
      default: 'mean',
    },
    quantile: {
      type: t.number({ min: 0, max: 1 }),
      doc: 'steps whose min–max scaled relevance is above this quantile get the feature step',
      default: 0.55,
    },
    features: {
      type: t.oneOf(t.enum(['each']), t.list(t.list(t.integer({ min: 0 }), { minLength: 1 }))),
      doc: "the feature step masks one feature at a time ('each') or feature groups like [[0, 1, 2], [3, 4]]",
      default: 'each',
    },
    baseline: {
      type: referenceType,
      doc: "what masked values become: 'zeros', 'mean', a number or an array",
      default: 'zeros',
    },
  },
  check(o) {
    if (o.wrap === temporalSaliencyRescaling)
      fail(
        'BAD_OPTION',
        'temporalSaliencyRescaling cannot wrap itself; pick the method to rescale, e.g. wrap: methods.integratedGradients.',
      );
    return {
      ...o,
      wrapOptions: normalizeMethodOptions(`temporalSaliencyRescaling's wrapped ${o.wrap.title}`, o.wrap, o.wrapOptions),
    };
  },
  wraps: (o) => ({ method: o.wrap, options: o.wrapOptions }),
  async run(p, o, ctx) {
    if (p.x.length !== 1 || p.x[0].shape.length !== 3)
      fail(
        'BAD_OPTION',
        `temporalSaliencyRescaling rescales over time and features, so it needs one input shaped (batch, steps, features); got ${p.x.map((x, t) => `'${p.names[t]}' [${x.shape}]`).join(', ')}.`,
      );
    const inner = o.wrap;
    const innerOptions = o.wrapOptions;
    const [B, T, F] = p.x[0].shape;
    const n = T * F;
    const groups = o.features === 'each' ? range(0, F).map((f) => [f]) : o.features;
    for (const g of groups)
      for (const f of g)
        if (!Number.isInteger(f) || f < 0 || f >= F)
          fail(
            'BAD_OPTION',
            `temporalSaliencyRescaling: feature index ${f} is out of range for '${p.names[0]}' with ${F} feature(s).`,
          );
    const [ref] = referenceValues(p, o.baseline, 'temporalSaliencyRescaling');
    const quiet: RunContext = { ...ctx, progress: () => {} };
    const base = (await inner.run(p, innerOptions, quiet)).attributions[0].data;
    const out = new Float32Array(B * n);
    for (let b = 0; b < B; b++) {
      const R = base.subarray(b * n, (b + 1) * n);
      // Masked copies of sample b, attributed together: cells → reference.
      const attributeMasked = async (masks: number[][]) => {
        const data = new Float32Array(masks.length * n);
        masks.forEach((cells, j) => {
          data.set(p.x[0].data.subarray(b * n, (b + 1) * n), j * n);
          for (const k of cells) data[j * n + k] = refAt(ref, b, n, k);
        });
        const r = await inner.run(copies(p, b, { data, shape: [masks.length, T, F] }), innerOptions, quiet);
        return masks.map((_, j) => {
          let s = 0;
          for (let k = 0; k < n; k++) s += Math.abs(R[k] - r.attributions[0].data[j * n + k]);
          return s;
        });
      };
      const time =
        o.timeRelevance === 'mean'
          ? range(0, T).map((t) => {
              let s = 0;
              for (let f = 0; f < F; f++) s += Math.abs(R[t * F + f]);
              return s / F;
            })
          : await attributeMasked(range(0, T).map((t) => range(0, F).map((f) => t * F + f)));
      const timeScaled = minmax(time);
      const threshold = quantileOf(timeScaled, o.quantile);
      const selected = range(0, T).filter((t) => timeScaled[t] > threshold);
      const deltas = await attributeMasked(selected.flatMap((t) => groups.map((g) => g.map((f) => t * F + f))));
      const featureScale = new Map<number, number[]>();
      selected.forEach((t, i) => featureScale.set(t, minmax(deltas.slice(i * groups.length, (i + 1) * groups.length))));
      for (let t = 0; t < T; t++) {
        const fs = featureScale.get(t);
        groups.forEach((g, gi) => {
          for (const f of g) out[b * n + t * F + f] = timeScaled[t] * (fs ? fs[gi] : 0.1);
        });
      }
      ctx.progress(b + 1, B);
    }
    return { attributions: [{ data: out, shape: [B, T, F] }] };
  },
};

/** The problem restricted to copies of sample `b` (each row scored for sample b's target). */
function copies(p: Problem, b: number, x: NdArray): Problem {
  const rows = x.shape[0];
  return {
    ...p,
    x: [x],
    batch: rows,
    units: p.units ? new Int32Array(rows).fill(p.units[b]) : null,
    scoresAtX: new Float32Array(rows).fill(p.scoresAtX[b]),
    score: (xs, r) =>
      p.score(
        xs,
        Array.from(r, () => b),
      ),
  };
}

/** sklearn's minmax_scale: (v − min)/(max − min), all zeros when the range is 0. */
function minmax(v: number[]): number[] {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}

/** numpy's default (linear) quantile. */
function quantileOf(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
}
