import { t } from '@keraspect/array';
import { sizes } from '../problem.ts';
import { seededRng } from '../rng.ts';
import { autoSamples, kernelCoalitions, shapleySolver } from '../shapley.ts';
import { spread } from './feature-ablation.ts';
import { type GroupSpec, groupSpecType, groupsOf } from './groups.ts';
import type { Method } from './method.ts';
import { type Reference, refAt, referenceType, referenceValues } from './reference.ts';
import { scoreVariants } from './variants.ts';

/** Options of `kernelShap`. */
export interface KernelShapOptions {
  /** The players (see {@link GroupSpec}): time steps by default; `'cells'` is Captum's default. */
  groups: GroupSpec;
  /** What an absent player's values become (see {@link Reference}). Default `'zeros'`. */
  baseline: Reference;
  /**
   * Coalitions evaluated per sample: `'auto'` = 2·M + 2048 (the shap package's default), or a
   * number. With ≥ 2^M − 2 every coalition is enumerated and the values are exact. Default `'auto'`.
   */
  samples: 'auto' | number;
}

/**
 * `kernelShap`: Shapley values of the players (time steps, features, windows × feature groups,
 * cells or a mask) for the game v(S) = score(x with the players outside S set to the baseline),
 * by Kernel SHAP's weighted regression with the efficiency constraint Σφ = f(x) − f(baseline).
 * Each value of a group gets the group's φ (Captum's convention). Coalitions are drawn as the shap
 * package draws them (enumerated sizes first), seeded by the run's seed; no l1 regularization.
 * Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions", https://arxiv.org/abs/1705.07874
 */
export const kernelShap: Method<KernelShapOptions> = {
  title: 'Kernel SHAP',
  paper: 'https://arxiv.org/abs/1705.07874',
  usesGradients: false,
  options: {
    groups: {
      type: groupSpecType,
      doc: "the players: 'cells', 'steps', 'features', { window, features } or { mask }",
      default: 'steps',
    },
    baseline: {
      type: referenceType,
      doc: "what an absent player's values become: 'zeros', 'mean', a number or an array",
      default: 'zeros',
    },
    samples: {
      type: t.oneOf(t.enum(['auto']), t.integer({ min: 1 })),
      doc: "coalitions per sample: 'auto' (2·M + 2048, shap's default) or a number; with ≥ 2^M − 2 the values are exact",
      default: 'auto',
    },
  },
  async run(p, o, ctx) {
    const groups = groupsOf(p, o.groups, 'kernelShap');
    const refs = referenceValues(p, o.baseline, 'kernelShap');
    const n = sizes(p);
    const M = groups.length;
    const co = kernelCoalitions(M, o.samples === 'auto' ? autoSamples(M) : o.samples, seededRng(ctx.seed));
    const solve = shapleySolver(co);
    // Variant j of sample ⌊j / V⌋: 0 = all players present, 1 = none, 2 + k = coalition k.
    const V = co.masks.length + 2;
    const scores = await scoreVariants(
      p,
      ctx,
      p.batch * V,
      (j) => Math.floor(j / V),
      (j, vals) => {
        const v = j % V;
        if (v === 0) return;
        const b = Math.floor(j / V);
        const mask = v === 1 ? null : co.masks[v - 2];
        groups.forEach((g, i) => {
          if (mask?.[i]) return;
          for (const k of g.cells) vals[g.tensor][k] = refAt(refs[g.tensor], b, n[g.tensor], k);
        });
      },
    );
    const phi = Array.from({ length: p.batch }, (_, b) =>
      solve(scores.subarray(b * V + 2, (b + 1) * V), scores[b * V + 1], scores[b * V]),
    );
    return { attributions: spread(p.x, n, groups, (b, g) => phi[b][g]) };
  },
};
