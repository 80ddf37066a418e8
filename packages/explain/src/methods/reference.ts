import { firstNonFinite, formatIndex, t } from '@keraspect/array';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import type { Problem } from '../problem.ts';
import { sizes } from '../problem.ts';

/**
 * What a perturbed value is replaced by:
 * - `'zeros'` (default);
 * - `'mean'`: each feature's (last axis) mean over the batch and all other axes;
 * - a number: that value everywhere;
 * - an array (or one per attributed tensor) shaped like one sample (`[…]` or `[1, …]`), or like the
 *   whole batch (one reference per sample).
 */
export type Reference = 'zeros' | 'mean' | number | NdArray | NdArray[];

/** The option type of a {@link Reference}. */
export const referenceType = t.oneOf(t.enum(['zeros', 'mean']), t.number(), t.array, t.list(t.array, { minLength: 1 }));

/** Reference values of one attributed tensor. */
export interface ReferenceValues {
  data: Float32Array;
  /** True: one reference per sample (batch × n values); false: one shared sample (n values). */
  perSample: boolean;
}

function isArrayLike(a: unknown): a is NdArray {
  return typeof a === 'object' && a !== null && 'data' in a && 'shape' in a;
}

/** Whether the reference is the same for every row whatever the batch ('zeros', a number, one-sample arrays). */
export function rowIndependentReference(spec: Reference, p: Problem): boolean {
  if (spec === 'zeros' || typeof spec === 'number') return true;
  if (spec === 'mean') return false;
  const list = Array.isArray(spec) ? spec : [spec];
  const n = sizes(p);
  return list.length === n.length && list.every((b, t) => b.data.length === n[t]);
}

/** The reference values of every attributed tensor of `p`. */
export function referenceValues(p: Problem, spec: Reference, who: string): ReferenceValues[] {
  const n = sizes(p);
  if (spec === 'zeros') return n.map((k) => ({ data: new Float32Array(k), perSample: false }));
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec)) fail('BAD_OPTION', `${who}: the baseline is ${spec}; it must be a finite number.`);
    return n.map((k) => ({ data: new Float32Array(k).fill(spec), perSample: false }));
  }
  if (spec === 'mean') return p.x.map((x) => ({ data: featureMean(x), perSample: false }));
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length !== p.x.length)
    fail(
      'BAD_OPTION',
      `${who}: ${list.length} baseline array(s) given for ${p.x.length} attributed tensor(s) (${p.names.join(', ')}).`,
    );
  return list.map((b, t) => {
    const data = b.data instanceof Float32Array ? b.data : Float32Array.from(b.data);
    requireFinite(b, `${who}: the baseline for '${p.names[t]}'`);
    if (data.length === n[t]) return { data, perSample: false };
    if (data.length === n[t] * p.batch && b.shape[0] === p.batch) return { data, perSample: true };
    return fail(
      'BAD_OPTION',
      `${who}: the baseline for '${p.names[t]}' has shape [${b.shape}]; it must be shaped like one sample [${p.x[t].shape.slice(1)}], [1, ${p.x[t].shape.slice(1)}] or the whole batch [${p.x[t].shape}].`,
    );
  });
}

/**
 * Fails with `BAD_OPTION` naming the first NaN or ±Infinity of a reference array (a baseline, a
 * background): every path point or perturbed sample made from it would be NaN, silently.
 */
export function requireFinite(a: NdArray, what: string): void {
  const k = firstNonFinite(a.data);
  if (k >= 0)
    fail(
      'BAD_OPTION',
      `${what} contains ${a.data[k]} at ${formatIndex(a.shape, k)}; references must be finite. Clean or impute it first.`,
    );
}

/** Per-feature (last axis) mean over the batch and all other axes, tiled to one sample. */
export function featureMean(x: NdArray): Float32Array {
  const n = x.data.length / x.shape[0];
  const f = x.shape.length >= 2 ? x.shape[x.shape.length - 1] : 1;
  const sums = new Float64Array(f);
  for (let i = 0; i < x.data.length; i++) sums[i % f] += x.data[i];
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = sums[k % f] / (x.data.length / f);
  return out;
}

/** The reference value of cell `k` of sample `b`. */
export function refAt(r: ReferenceValues, b: number, n: number, k: number): number {
  return r.perSample ? r.data[b * n + k] : r.data[k];
}
