import type { NdArray } from '@keraspect/importer';
import { sizes } from '../problem.ts';
import { type GroupSpec, groupSpecType, groupsOf } from './groups.ts';
import type { Method } from './method.ts';
import { type Reference, refAt, referenceType, referenceValues, rowIndependentReference } from './reference.ts';
import { scoreVariants } from './variants.ts';

/** Options of `featureAblation`. */
export interface FeatureAblationOptions {
  /** What is ablated together (see {@link GroupSpec}). Default `'cells'`. */
  groups: GroupSpec;
  /** What ablated values become (see {@link Reference}). Default `'zeros'`. */
  baseline: Reference;
}

/**
 * `featureAblation`: score(x) − score(x with one group replaced by the baseline), for each group
 * (time steps, features, windows × feature groups, cells or a mask), credited to every value of the
 * group (Captum's `FeatureAblation` convention). Forward passes only: one per group and sample.
 * For a linear model with a zero baseline it is the group's Σ w·x. Captum's FeatureAblation;
 * Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901
 */
export const featureAblation: Method<FeatureAblationOptions> = {
  title: 'Feature ablation',
  paper: 'https://arxiv.org/abs/1311.2901',
  usesGradients: false,
  options: {
    groups: {
      type: groupSpecType,
      doc: "what is ablated together: 'cells', 'steps', 'features', { window, features } or { mask }",
      default: 'cells',
    },
    baseline: {
      type: referenceType,
      doc: "what ablated values become: 'zeros', 'mean', a number or an array",
      default: 'zeros',
    },
  },
  async run(p, o, ctx) {
    const groups = groupsOf(p, o.groups, 'featureAblation');
    const refs = referenceValues(p, o.baseline, 'featureAblation');
    const n = sizes(p);
    const G = groups.length + 1;
    // Variant j: sample ⌊j / G⌋; j % G = 0 is the sample itself, else group j % G − 1 ablated.
    const scores = await scoreVariants(
      p,
      ctx,
      p.batch * G,
      (j) => Math.floor(j / G),
      (j, vals) => {
        const g = (j % G) - 1;
        if (g < 0) return;
        const b = Math.floor(j / G);
        const { tensor, cells } = groups[g];
        for (const k of cells) vals[tensor][k] = refAt(refs[tensor], b, n[tensor], k);
      },
    );
    return { attributions: spread(p.x, n, groups, (b, g) => scores[b * G] - scores[b * G + 1 + g]) };
  },
  rowwise: (o, p) => rowIndependentReference(o.baseline, p),
};

/** Attribution arrays shaped like `x` where every value of group g of sample b gets `value(b, g)`. */
export function spread(
  x: NdArray[],
  n: number[],
  groups: { tensor: number; cells: number[] }[],
  value: (b: number, g: number) => number,
): NdArray[] {
  const batch = x[0].shape[0];
  const out = x.map((a) => new Float32Array(a.data.length));
  for (let b = 0; b < batch; b++)
    groups.forEach((grp, g) => {
      const v = value(b, g);
      for (const k of grp.cells) out[grp.tensor][b * n[grp.tensor] + k] = v;
    });
  return out.map((data, t) => ({ data, shape: [...x[t].shape] }));
}
