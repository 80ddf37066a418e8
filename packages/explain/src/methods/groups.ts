import { t } from '@keraspect/array';
import { fail } from '../errors.ts';
import type { Problem } from '../problem.ts';
import { range } from './chunks.ts';

/**
 * Which values of a sample move together (the "players" of Shapley methods, the units that
 * ablation and permutation perturb). Axis 1 of an attributed tensor is time, the last axis
 * (rank ≥ 3) holds the features; axes between them go with the time step.
 * - `'cells'`: every value alone;
 * - `'steps'`: every time step (all its features);
 * - `'features'`: every feature (over all time steps);
 * - `{ window, features }`: windows of `window` steps × feature groups (`'together'` all features,
 *   `'each'` one at a time, or index lists like `[[0, 1], [2]]`), as occlusion's patches but disjoint;
 * - `{ mask }`: one integer group id per value of one sample (Captum's `feature_mask`), flat C order.
 *
 * With several attributed tensors each tensor gets its own groups.
 */
export type GroupSpec =
  | 'cells'
  | 'steps'
  | 'features'
  | { window: number; features?: 'together' | 'each' | number[][] }
  | { mask: ArrayLike<number> };

/** The option type of a {@link GroupSpec}. */
export const groupSpecType = t.oneOf(
  t.enum(['cells', 'steps', 'features']),
  t.object(
    {
      window: { type: t.integer({ min: 1 }), doc: 'time steps per window' },
      features: {
        type: t.oneOf(t.enum(['together', 'each']), t.list(t.list(t.integer({ min: 0 }), { minLength: 1 }))),
        doc: "feature groups: 'together', 'each' or index lists like [[0, 1], [2]]",
        defaultDoc: 'together',
      },
    },
    ['window'],
  ),
  t.object(
    { mask: { type: t.list(t.integer()), doc: 'one integer group id per value of one sample (flat C order)' } },
    ['mask'],
  ),
);

/** One group: the flat per-sample indices of its values in attributed tensor `tensor`. */
export interface Group {
  tensor: number;
  cells: number[];
  /** Human name, e.g. `t3`, `f1`, `t0-4×f[0,1]`, `cell 17`, `group 2` (prefixed by the tensor name for several). */
  name: string;
}

/** The layout of one sample of a tensor: time steps, values per step between, features. */
export function layoutOf(shape: readonly number[]): { steps: number; middle: number; features: number } {
  const s = shape.slice(1);
  if (s.length === 0) return { steps: 1, middle: 1, features: 1 };
  if (s.length === 1) return { steps: s[0], middle: 1, features: 1 };
  return { steps: s[0], middle: s.slice(1, -1).reduce((a, b) => a * b, 1), features: s[s.length - 1] };
}

/** Every group of every attributed tensor of `p` under `spec`. */
export function groupsOf(p: Problem, spec: GroupSpec, who: string): Group[] {
  const out: Group[] = [];
  p.x.forEach((x, t) => {
    const prefix = p.x.length > 1 ? `${p.names[t]}:` : '';
    for (const g of tensorGroups(x.shape, spec, who, p.names[t]))
      out.push({ tensor: t, cells: g.cells, name: prefix + g.name });
  });
  return out;
}

function tensorGroups(shape: readonly number[], spec: GroupSpec, who: string, name: string): Omit<Group, 'tensor'>[] {
  const n = shape.slice(1).reduce((a, b) => a * b, 1);
  const { steps, middle, features } = layoutOf(shape);
  const at = (s: number, m: number, f: number) => (s * middle + m) * features + f;
  if (spec === 'cells') return range(0, n).map((k) => ({ cells: [k], name: `cell ${k}` }));
  if (spec === 'steps')
    return range(0, steps).map((s) => ({
      cells: range(0, middle * features).map((k) => s * middle * features + k),
      name: `t${s}`,
    }));
  if (spec === 'features')
    return range(0, features).map((f) => ({
      cells: range(0, steps * middle).map((k) => k * features + f),
      name: `f${f}`,
    }));
  if ('mask' in spec) {
    if (spec.mask.length !== n)
      fail(
        'BAD_OPTION',
        `${who}: groups.mask has ${spec.mask.length} value(s) but one sample of '${name}' has ${n} (shape [${shape.slice(1)}]); give one group id per value.`,
      );
    const byId = new Map<number, number[]>();
    for (let k = 0; k < n; k++) {
      const id = spec.mask[k];
      if (!Number.isInteger(id))
        fail('BAD_OPTION', `${who}: groups.mask holds ${id} at ${k}; group ids must be integers.`);
      const list = byId.get(id) ?? [];
      list.push(k);
      byId.set(id, list);
    }
    return [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, cells]) => ({ cells, name: `group ${id}` }));
  }
  const fs = spec.features ?? 'together';
  const featureGroups =
    fs === 'together' ? [range(0, features)] : fs === 'each' ? range(0, features).map((f) => [f]) : fs;
  for (const g of featureGroups)
    for (const f of g)
      if (!Number.isInteger(f) || f < 0 || f >= features)
        fail(
          'BAD_OPTION',
          `${who}: feature index ${f} is out of range for '${name}' with ${features} feature(s) (shape [${shape.slice(1)}]).`,
        );
  const out: Omit<Group, 'tensor'>[] = [];
  for (let start = 0; start < steps; start += spec.window) {
    const end = Math.min(steps, start + spec.window);
    for (const g of featureGroups) {
      const cells: number[] = [];
      for (let s = start; s < end; s++) for (let m = 0; m < middle; m++) for (const f of g) cells.push(at(s, m, f));
      out.push({
        cells,
        name: `t${start}${end - start > 1 ? `-${end - 1}` : ''}${featureGroups.length > 1 ? `×f[${g.join(',')}]` : ''}`,
      });
    }
  }
  return out;
}
