import { t } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { gradRows, type Problem, requireDifferentiable, scoreRows, sizes } from '../problem.ts';
import { type IntegrationRule, integrationRules, quadrature } from '../quadrature.ts';
import { seededRng } from '../rng.ts';
import { pause, range } from './chunks.ts';
import type { Method, RunContext } from './method.ts';
import { type Reference, type ReferenceValues, referenceValues, rowIndependentReference } from './reference.ts';

/**
 * Where the IG path starts:
 * - `'zeros'` (default);
 * - `'mean'`: the mean of each feature (last axis) over the batch and all other axes;
 * - an array (or one per attributed tensor) shaped like one sample, like `[1, …]`, or like the
 *   whole batch (one baseline per sample) — e.g. a reference series;
 * - `{ noise: { samples, stdev } }`: `samples` Gaussian baselines N(0, stdev²) (default 10, 1),
 *   drawn with the run's seed; the attributions (and delta) are averaged over them.
 */
export type Baseline = 'zeros' | 'mean' | NdArray | NdArray[] | { noise: { samples?: number; stdev?: number } };

/** Options of `integratedGradients`. */
export interface IntegratedGradientsOptions {
  /** Default `'zeros'`. */
  baseline: Baseline;
  /** Points on the path (per baseline). Default 50. */
  steps: number;
  /** Quadrature on [0, 1]. Default `'gaussLegendre'` (exact for polynomial paths of degree ≤ 2·steps − 1). */
  rule: IntegrationRule;
  /**
   * Multiply the path-integrated gradients by x − x′ (default `true`); `false` returns the
   * integrated gradients themselves (Captum's `multiply_by_inputs`). `delta` is always that of the
   * multiplied attributions.
   */
  multiplyByInputs: boolean;
}

/**
 * `integratedGradients`: (x − x′) ⊙ ∫₀¹ ∂score/∂x(x′ + α(x − x′)) dα, with the convergence delta
 * Σattr − (f(x) − f(x′)) per sample (0 for an exact integral). Sundararajan, Taly & Yan 2017,
 * "Axiomatic Attribution for Deep Networks", https://arxiv.org/abs/1703.01365
 */
export const integratedGradients: Method<IntegratedGradientsOptions> = {
  title: 'Integrated Gradients',
  paper: 'https://arxiv.org/abs/1703.01365',
  usesGradients: true,
  options: {
    baseline: {
      type: t.oneOf(
        t.enum(['zeros', 'mean']),
        t.array,
        t.list(t.array, { minLength: 1 }),
        t.object({
          noise: {
            type: t.object({
              samples: { type: t.integer({ min: 1 }), doc: 'Gaussian baselines drawn', default: 10 },
              stdev: { type: t.number({ min: 0 }), doc: 'their standard deviation', default: 1 },
            }),
            doc: 'Gaussian baselines N(0, stdev²), drawn with the run seed; results are averaged over them',
          },
        }),
      ),
      doc: "where the path starts: 'zeros', 'mean' (per feature), an array shaped like one sample or the batch (one per attributed tensor), or { noise: { samples, stdev } }",
      default: 'zeros',
    },
    steps: { type: t.integer({ min: 1 }), doc: 'points on the path (per baseline)', default: 50 },
    rule: {
      type: t.enum(integrationRules),
      doc: 'quadrature on [0, 1]; gaussLegendre is exact for polynomial paths of degree ≤ 2·steps − 1',
      default: 'gaussLegendre',
    },
    multiplyByInputs: {
      type: t.boolean,
      doc: "multiply the integrated gradients by x − x′ (Captum's multiply_by_inputs); delta is always that of the multiplied ones",
      default: true,
    },
  },
  check(o) {
    quadrature(o.rule, o.steps);
    return o;
  },
  async run(p, o, ctx) {
    requireDifferentiable(p);
    const plan = pathPlan(p, o, ctx.seed);
    const { bases, nb, S, total, weights } = plan;
    const n = sizes(p);
    // Σ_j w_j ∇f(point_j) per (sample, baseline), then ⊙ (x − x′), summed in path-point order.
    const acc = n.map((k) => new Float32Array(p.batch * nb * k));
    const add = (i: number, grads: Float32Array[], r: number) => {
      for (let t = 0; t < n.length; t++)
        addScaled(acc[t], Math.floor(i / S) * n[t], grads[t], r * n[t], weights[i % S], n[t]);
    };
    const preset = given.get(p);
    if (preset) {
      if (preset.length !== n.length || preset.some((g, t) => g.length !== total * n[t]))
        throw new Error(
          'integratedGradients: the given path gradients do not match the problem (a Keraspect bug: please report it).',
        );
      for (let i = 0; i < total; i++) add(i, preset, i);
      ctx.progress(total, total);
    } else
      for (const { q, grads } of pathBatches(p, plan, 0, total, ctx.internalBatchSize)) {
        for (let r = 0; r < q.length; r++) add(q[r], grads, r);
        ctx.progress(q[q.length - 1] + 1, total);
        await pause();
      }
    const integrate = (multiply: boolean) =>
      p.x.map((x, t) => {
        const out = new Float32Array(p.batch * n[t]);
        for (let b = 0; b < p.batch; b++)
          for (let j = 0; j < nb; j++) {
            const base = bases[j][t];
            const bo = base.perSample ? b * n[t] : 0;
            for (let k = 0; k < n[t]; k++)
              out[b * n[t] + k] +=
                (acc[t][(b * nb + j) * n[t] + k] * (multiply ? x.data[b * n[t] + k] - base.data[bo + k] : 1)) / nb;
          }
        return { data: out, shape: [...x.shape] };
      });
    const attributions = integrate(true);
    // delta = Σattr − (f(x) − mean_j f(x′_j))
    const all = range(0, p.batch);
    const fx = p.scoresAtX;
    const fBase = new Float32Array(p.batch);
    for (const base of bases) {
      const vals = p.x.map((x, t) =>
        base[t].perSample
          ? { data: base[t].data, shape: x.shape }
          : { data: tile(base[t].data, p.batch), shape: x.shape },
      );
      const f = scoreRows(p, vals, all, ctx.internalBatchSize);
      for (let b = 0; b < p.batch; b++) fBase[b] += f[b] / nb;
    }
    const delta = new Float32Array(p.batch);
    for (let b = 0; b < p.batch; b++) {
      let sum = 0;
      attributions.forEach((a, t) => {
        for (let k = 0; k < n[t]; k++) sum += a.data[b * n[t] + k];
      });
      delta[b] = sum - (fx[b] - fBase[b]);
    }
    return { attributions: o.multiplyByInputs ? attributions : integrate(false), delta };
  },
  rowwise: (o, p) =>
    typeof o.baseline === 'object' && 'noise' in o.baseline ? true : rowIndependentReference(o.baseline, p),
};

/** IG's path points: index i is sample ⌊i / (nb·S)⌋, baseline ⌊i / S⌋ mod nb, step i mod S. */
interface PathPlan {
  bases: ReferenceValues[][];
  alphas: number[];
  weights: number[];
  nb: number;
  S: number;
  total: number;
}

function pathPlan(p: Problem, o: IntegratedGradientsOptions, seed: number): PathPlan {
  const { alphas, weights } = quadrature(o.rule, o.steps);
  const bases = baselines(p, o.baseline, seed);
  const nb = bases.length;
  const S = alphas.length;
  return { bases, alphas, weights, nb, S, total: p.batch * nb * S };
}

/** The gradients at path points [from, to), `batchSize` points per pass. */
function* pathBatches(
  p: Problem,
  plan: PathPlan,
  from: number,
  to: number,
  batchSize: number,
): Generator<{ q: number[]; grads: Float32Array[] }> {
  const n = sizes(p);
  const { bases, alphas, nb, S } = plan;
  for (let s = from; s < to; s += batchSize) {
    const q = range(s, Math.min(to, s + batchSize));
    const rows = q.map((i) => Math.floor(i / (nb * S)));
    const xs = p.x.map((x, t) => {
      const k = n[t];
      const out = new Float32Array(q.length * k);
      for (let r = 0; r < q.length; r++) {
        const i = q[r];
        const base = bases[Math.floor(i / S) % nb][t];
        pathPoint(out, r * k, x.data, rows[r] * k, base.data, base.perSample ? rows[r] * k : 0, alphas[i % S], k);
      }
      return tf.tensor(out, [q.length, ...x.shape.slice(1)]);
    });
    try {
      yield { q, grads: gradRows(p, xs, rows).grads };
    } finally {
      tf.dispose(xs);
    }
  }
}

/**
 * How many path points IG evaluates for `batch` samples with (normalized) options `o`: samples ×
 * baselines × steps, known without the model (as a pool splits them before any worker runs).
 */
export function pathPointTotal(o: IntegratedGradientsOptions, batch: number): number {
  const nb = noiseOf(o.baseline)?.samples ?? 1;
  return batch * nb * quadrature(o.rule, o.steps).alphas.length;
}

/**
 * The gradients at IG's path points [from, to) (in `run`'s order), one flat array per attributed
 * tensor: a share of the work a model pool's worker computes when there are fewer samples than
 * workers. Each point's gradient depends on that point alone, so the shares equal `run`'s own.
 */
export async function pathGradients(
  p: Problem,
  o: IntegratedGradientsOptions,
  ctx: RunContext,
  from: number,
  to: number,
): Promise<Float32Array[]> {
  requireDifferentiable(p);
  const plan = pathPlan(p, o, ctx.seed);
  if (!(0 <= from && from <= to && to <= plan.total))
    throw new Error(
      `integratedGradients: path points [${from}, ${to}) asked of ${plan.total} (a Keraspect bug: please report it).`,
    );
  const n = sizes(p);
  const out = n.map((k) => new Float32Array((to - from) * k));
  for (const { q, grads } of pathBatches(p, plan, from, to, ctx.internalBatchSize)) {
    grads.forEach((g, t) => out[t].set(g, (q[0] - from) * n[t]));
    ctx.progress(q[q.length - 1] + 1 - from, to - from);
    await pause();
  }
  return out;
}

const given = new WeakMap<Problem, Float32Array[]>();

/**
 * Makes `run` on `p` take the gradients at all its path points from `grads` (joined from
 * {@link pathGradients} shares) instead of evaluating them; it still sums them in order and
 * evaluates f(x) and f(x′) for the delta itself.
 */
export function givePathGradients(p: Problem, grads: Float32Array[]): void {
  given.set(p, grads);
}

// The two per-element loops of a pass live in plain functions over typed arrays: written inline in
// forEach closures, V8 boxed a heap number per element (≈ 13 MB of garbage a 400-row call of the
// seed model).

/** out[o + k] = base[bo + k] + a·(x[xo + k] − base[bo + k]) for k < n: one point of the path. */
function pathPoint(
  out: Float32Array,
  o: number,
  x: Float32Array | Int32Array,
  xo: number,
  base: Float32Array,
  bo: number,
  a: number,
  n: number,
): void {
  for (let k = 0; k < n; k++) {
    const x0 = base[bo + k];
    out[o + k] = x0 + a * (x[xo + k] - x0);
  }
}

/** acc[ao + k] += w·g[go + k] for k < n. */
function addScaled(acc: Float32Array, ao: number, g: Float32Array, go: number, w: number, n: number): void {
  for (let k = 0; k < n; k++) acc[ao + k] += w * g[go + k];
}

/** A noise baseline's draws, defaults filled in; undefined for every other baseline. */
function noiseOf(spec: Baseline): { samples: number; stdev: number } | undefined {
  if (typeof spec !== 'object' || Array.isArray(spec) || !('noise' in spec) || 'data' in spec) return undefined;
  const { samples = 10, stdev = 1 } = spec.noise;
  return { samples, stdev };
}

/** The baselines, each a list (one per attributed tensor). */
function baselines(p: Problem, spec: Baseline, seed: number): ReferenceValues[][] {
  const noise = noiseOf(spec);
  if (!noise) return [referenceValues(p, spec as Reference, 'integratedGradients')];
  const { samples, stdev } = noise;
  if (!(Number.isInteger(samples) && samples >= 1) || !(stdev >= 0 && Number.isFinite(stdev)))
    fail(
      'BAD_OPTION',
      `integratedGradients: noise baselines need samples ≥ 1 and a finite stdev ≥ 0; got samples ${samples}, stdev ${stdev}.`,
    );
  const rng = seededRng(seed);
  const n = sizes(p);
  return Array.from({ length: samples }, () =>
    n.map((k) => ({ data: rng.normals(k).map((v) => v * stdev), perSample: false })),
  );
}

function tile(data: Float32Array, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let i = 0; i < times; i++) out.set(data, i * data.length);
  return out;
}
