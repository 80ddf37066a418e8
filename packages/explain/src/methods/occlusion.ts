import { t } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { rowsTensor } from '../inputs.ts';
import { type Problem, scoreRows } from '../problem.ts';
import { pause, range } from './chunks.ts';
import type { Method } from './method.ts';

/** Options of `occlusion`. Axis 1 is time; the last axis (rank ≥ 3) holds the features. */
export interface OcclusionOptions {
  /** Time steps per occluded window. Default 1. */
  window: number;
  /** Steps between window starts. Default `window` (no overlap). */
  stride?: number;
  /**
   * Which features are occluded together: `'together'` all at once (default), `'each'` one at a
   * time, or a list of feature groups (indices into the last axis), e.g. `[[0, 1], [2]]`.
   */
  features: 'together' | 'each' | number[][];
  /** The value occluded cells get: `'zeros'` (default), `'mean'` (per-feature mean over the batch and time), or a number. */
  baseline: 'zeros' | 'mean' | number;
}

/**
 * `occlusion`: score(x) − score(x with a window of steps × a feature group replaced by the
 * baseline), credited to every cell of the window and averaged over the windows covering a cell
 * (Captum's convention: positive = the cells supported the score). Needs only forward passes, so
 * it works on any model. Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901
 */
export const occlusion: Method<OcclusionOptions> = {
  title: 'Occlusion',
  paper: 'https://arxiv.org/abs/1311.2901',
  usesGradients: false,
  options: {
    window: { type: t.integer({ min: 1 }), doc: 'time steps per occluded window', default: 1 },
    stride: { type: t.integer({ min: 1 }), doc: 'steps between window starts', defaultDoc: 'window (no overlap)' },
    features: {
      type: t.oneOf(t.enum(['together', 'each']), t.list(t.list(t.integer({ min: 0 }), { minLength: 1 }))),
      doc: "features occluded together: 'together' all at once, 'each' one at a time, or groups of last-axis indices like [[0, 1], [2]]",
      default: 'together',
    },
    baseline: {
      type: t.oneOf(t.enum(['zeros', 'mean']), t.number()),
      doc: "the value occluded cells get: 'zeros', 'mean' (per feature, over the batch and time) or a number",
      default: 'zeros',
    },
  },
  async run(p, o, ctx) {
    const all = range(0, p.batch);
    const f0 = scoreRows(p, p.x, all, ctx.internalBatchSize);
    const patchesPer = p.x.map((x) => patches(x, o, p));
    const total = patchesPer.reduce((n, ps) => n + ps.length, 0) * p.batch;
    let done = 0;
    const attributions: NdArray[] = [];
    for (const [t, x] of p.x.entries()) {
      const n = x.data.length / p.batch;
      const ps = patchesPer[t];
      const fill = fillValues(x, o.baseline);
      const sum = new Float64Array(x.data.length);
      const count = new Float64Array(x.data.length);
      const jobs = ps.flatMap((patch, j) => all.map((b) => ({ b, j, patch })));
      for (let s = 0; s < jobs.length; s += ctx.internalBatchSize) {
        const chunk = jobs.slice(s, s + ctx.internalBatchSize);
        const rows = chunk.map((c) => c.b);
        const scores = tf.tidy(() => {
          const xs = p.x.map((other, u) => {
            if (u !== t) return rowsTensor(other, rows, p.dtypes[u]);
            const data =
              p.dtypes[u] === 'int32' ? new Int32Array(chunk.length * n) : new Float32Array(chunk.length * n);
            chunk.forEach((c, r) => {
              data.set(x.data.subarray(c.b * n, c.b * n + n), r * n);
              for (const k of c.patch) data[r * n + k] = fill[k];
            });
            return tf.tensor(data, [chunk.length, ...x.shape.slice(1)], p.dtypes[u]);
          });
          return p.score(xs, rows);
        });
        const v = scores.dataSync();
        scores.dispose();
        chunk.forEach((c, r) => {
          const d = f0[c.b] - v[r];
          for (const k of c.patch) {
            sum[c.b * n + k] += d;
            count[c.b * n + k] += 1;
          }
        });
        done += chunk.length;
        ctx.progress(done, total);
        await pause();
      }
      const out = new Float32Array(x.data.length);
      for (let i = 0; i < out.length; i++) out[i] = count[i] ? sum[i] / count[i] : 0;
      attributions.push({ data: out, shape: [...x.shape] });
    }
    return { attributions };
  },
  rowwise: (o) => o.baseline !== 'mean',
};

/** Flat per-sample indices of every occluded patch (window × feature group). */
function patches(x: NdArray, o: OcclusionOptions, p: Problem): number[][] {
  const shape = x.shape.slice(1);
  const steps = shape[0] ?? 1;
  const feats = shape.length >= 2 ? shape[shape.length - 1] : 1;
  const middle = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const groups =
    o.features === 'together'
      ? [range(0, feats)]
      : o.features === 'each'
        ? range(0, feats).map((f) => [f])
        : o.features;
  for (const g of groups) {
    for (const f of g) {
      if (!Number.isInteger(f) || f < 0 || f >= feats)
        fail(
          'BAD_OPTION',
          `occlusion: feature index ${f} is out of range for '${p.names[p.x.indexOf(x)]}' with ${feats} feature(s) (shape [${shape}]).`,
        );
    }
  }
  const stride = o.stride ?? o.window;
  const out: number[][] = [];
  for (let start = 0; start < steps; start += stride) {
    const end = Math.min(steps, start + o.window);
    for (const g of groups) {
      const cells: number[] = [];
      for (let s = start; s < end; s++)
        for (let m = 0; m < middle; m++)
          for (const f of g)
            cells.push((s * middle + m) * (shape.length >= 2 ? feats : 1) + (shape.length >= 2 ? f : 0));
      out.push(cells);
    }
    if (end === steps) break;
  }
  return out;
}

function fillValues(x: NdArray, baseline: OcclusionOptions['baseline']): Float32Array {
  const n = x.data.length / x.shape[0];
  const out = new Float32Array(n);
  if (baseline === 'zeros') return out;
  if (typeof baseline === 'number') return out.fill(baseline);
  const f = x.shape.length >= 2 ? x.shape[x.shape.length - 1] : 1;
  const sums = new Float64Array(f);
  for (let i = 0; i < x.data.length; i++) sums[i % f] += x.data[i];
  for (let k = 0; k < n; k++) out[k] = sums[k % f] / (x.data.length / f);
  return out;
}
