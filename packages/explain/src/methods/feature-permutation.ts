import { t } from '@keraspect/array';
import { fail } from '../errors.ts';
import { sizes } from '../problem.ts';
import { seededRng } from '../rng.ts';
import { spread } from './feature-ablation.ts';
import { type GroupSpec, groupSpecType, groupsOf } from './groups.ts';
import type { Method } from './method.ts';
import { scoreVariants } from './variants.ts';

/** Options of `featurePermutation`. */
export interface FeaturePermutationOptions {
  /** What is permuted together (see {@link GroupSpec}). Default `'cells'`. */
  groups: GroupSpec;
  /** Permutations drawn per group; the attributions are averaged over them. Default 1. */
  repeats: number;
}

/**
 * `featurePermutation`: score(x) − score(x with one group's values taken from another sample of
 * the batch), for each group, credited to every value of the group (Captum's `FeaturePermutation`:
 * one random non-identity permutation of the batch per group and repeat, drawn with the run's
 * seed). Needs a batch of at least 2; a group the model does not use gets exactly 0. Breiman 2001,
 * "Random Forests", https://doi.org/10.1023/A:1010933404324; Fisher et al. 2019,
 * https://arxiv.org/abs/1801.01489
 */
export const featurePermutation: Method<FeaturePermutationOptions> = {
  title: 'Feature permutation',
  paper: 'https://arxiv.org/abs/1801.01489',
  usesGradients: false,
  options: {
    groups: {
      type: groupSpecType,
      doc: "what is permuted together: 'cells', 'steps', 'features', { window, features } or { mask }",
      default: 'cells',
    },
    repeats: {
      type: t.integer({ min: 1 }),
      doc: 'permutations drawn per group (the attributions are averaged)',
      default: 1,
    },
  },
  async run(p, o, ctx) {
    if (p.batch < 2)
      fail(
        'BAD_OPTION',
        `featurePermutation permutes values across the batch, so it needs at least 2 samples; got ${p.batch}. Pass more samples, or use 'featureAblation'.`,
      );
    const groups = groupsOf(p, o.groups, 'featurePermutation');
    const n = sizes(p);
    const rng = seededRng(ctx.seed);
    // perms[r][g]: the permutation of the batch for repeat r and group g (never the identity).
    const perms = Array.from({ length: o.repeats }, () => groups.map(() => permutation(p.batch, rng.uniform)));
    const G = groups.length * o.repeats + 1;
    const scores = await scoreVariants(
      p,
      ctx,
      p.batch * G,
      (j) => Math.floor(j / G),
      (j, vals) => {
        const q = (j % G) - 1;
        if (q < 0) return;
        const b = Math.floor(j / G);
        const g = q % groups.length;
        const from = perms[Math.floor(q / groups.length)][g][b];
        const { tensor, cells } = groups[g];
        const src = p.x[tensor].data;
        for (const k of cells) vals[tensor][k] = src[from * n[tensor] + k];
      },
    );
    return {
      attributions: spread(p.x, n, groups, (b, g) => {
        let s = 0;
        for (let r = 0; r < o.repeats; r++) s += scores[b * G] - scores[b * G + 1 + r * groups.length + g];
        return s / o.repeats;
      }),
    };
  },
};

/** A uniformly random permutation of 0…n−1 other than the identity (n ≥ 2), Fisher–Yates. */
function permutation(n: number, uniform: () => number): Int32Array {
  for (;;) {
    const a = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    if (a.some((v, i) => v !== i)) return a;
  }
}
