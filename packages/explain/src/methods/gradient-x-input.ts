import { batchGradientsAsync } from './chunks.ts';
import type { Method } from './method.ts';

/** `gradientXInput` has no options of its own. */
export type GradientXInputOptions = Record<never, never>;

/**
 * `gradientXInput`: x ⊙ ∂score/∂x. For a linear model it is each input's exact contribution
 * x ⊙ w. Shrikumar et al. 2016, https://arxiv.org/abs/1605.01713; Ancona et al. 2018,
 * https://arxiv.org/abs/1711.06104
 */
export const gradientXInput: Method<GradientXInputOptions> = {
  title: 'Gradient × Input',
  paper: 'https://arxiv.org/abs/1605.01713',
  usesGradients: true,
  options: {},
  async run(p, _o, ctx) {
    const { grads } = await batchGradientsAsync(p, ctx);
    grads.forEach((g, i) => {
      const x = p.x[i].data;
      for (let k = 0; k < g.length; k++) g[k] *= x[k];
    });
    return { attributions: grads.map((data, i) => ({ data, shape: [...p.x[i].shape] })) };
  },
  rowwise: () => true,
};
