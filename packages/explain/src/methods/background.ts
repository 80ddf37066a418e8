import { t } from '@keraspect/array';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { type Problem, sizes } from '../problem.ts';
import { requireFinite } from './reference.ts';

/**
 * The reference distribution of the SHAP methods: `'batch'` (the explained samples themselves), or
 * an array (one per attributed tensor) of K samples shaped `[K, …]` like the attributed tensor.
 */
export type Background = 'batch' | NdArray | NdArray[];

/** The option type of a {@link Background}. */
export const backgroundType = t.oneOf(t.enum(['batch']), t.array, t.list(t.array, { minLength: 1 }));

/** Background rows per attributed tensor (K × n values each) and K. */
export function backgroundRows(p: Problem, spec: Background, who: string): { rows: Float32Array[]; count: number } {
  if (spec === 'batch') return { rows: p.x.map((x) => Float32Array.from(x.data)), count: p.batch };
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length !== p.x.length)
    fail(
      'BAD_OPTION',
      `${who}: ${list.length} background array(s) given for ${p.x.length} attributed tensor(s) (${p.names.join(', ')}).`,
    );
  const n = sizes(p);
  const counts = list.map((b, t) => {
    requireFinite(b, `${who}: the background for '${p.names[t]}'`);
    const k = b.data.length / n[t];
    if (!Number.isInteger(k) || k < 1 || b.data.length === 0)
      fail(
        'BAD_OPTION',
        `${who}: the background for '${p.names[t]}' has shape [${b.shape}]; it must hold whole samples shaped [K, ${p.x[t].shape.slice(1)}].`,
      );
    return k;
  });
  if (counts.some((c) => c !== counts[0]))
    fail('BAD_OPTION', `${who}: the background arrays hold different numbers of samples (${counts.join(', ')}).`);
  return {
    rows: list.map((b) => (b.data instanceof Float32Array ? b.data : Float32Array.from(b.data))),
    count: counts[0],
  };
}
