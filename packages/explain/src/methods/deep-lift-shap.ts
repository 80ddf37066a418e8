import { deepLiftOverride } from '../deeplift/rules.ts';
import { sizes } from '../problem.ts';
import { type Background, backgroundRows, backgroundType } from './background.ts';
import { deepLift } from './deep-lift.ts';
import { pairedAttributions, pairedMultipliers } from './deep-lift-core.ts';
import type { Method } from './method.ts';

/** Options of `deepLiftShap`. */
export interface DeepLiftShapOptions {
  /** The references (see {@link Background}). Default `'batch'`. */
  background: Background;
  /** DeepLIFT's rule. Default `'rescale'`. */
  rule: 'rescale' | 'revealCancel';
  /** Multiply by x − x̄ (Captum's `multiply_by_inputs`). Default `true`. */
  multiplyByInputs: boolean;
  /** DeepLIFT's ratio threshold. Default 1e-10. */
  eps: number;
}

/**
 * `deepLiftShap`: DeepLIFT against every sample of a background set, averaged (Captum's
 * `DeepLiftShap`, an approximation of SHAP values); `delta` is the average summation-to-delta
 * error. Lundberg & Lee 2017, https://arxiv.org/abs/1705.07874; Shrikumar et al. 2017,
 * https://arxiv.org/abs/1704.02685
 */
export const deepLiftShap: Method<DeepLiftShapOptions> = {
  title: 'DeepLIFT SHAP',
  paper: 'https://arxiv.org/abs/1705.07874',
  usesGradients: true,
  options: {
    background: {
      type: backgroundType,
      doc: "the references: 'batch' (the explained samples) or an array of K samples [K, …]",
      default: 'batch',
    },
    rule: deepLift.options.rule,
    multiplyByInputs: deepLift.options.multiplyByInputs,
    eps: deepLift.options.eps,
  },
  override: (km, o) => deepLiftOverride(km, { rule: o.rule, eps: o.eps }),
  async run(p, o, ctx) {
    const bg = backgroundRows(p, o.background, 'deepLiftShap');
    const n = sizes(p);
    const K = bg.count;
    const r = await pairedMultipliers(
      p,
      ctx,
      p.batch * K,
      (j) => Math.floor(j / K),
      (j, t, out) => out.set(bg.rows[t].subarray((j % K) * n[t], ((j % K) + 1) * n[t])),
    );
    return pairedAttributions(p, r, K, o.multiplyByInputs);
  },
};
