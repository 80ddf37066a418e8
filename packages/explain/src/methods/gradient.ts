import { t } from '@keraspect/array';
import { batchGradientsAsync } from './chunks.ts';
import type { Method } from './method.ts';

/** Options of the `gradient` method. */
export interface GradientOptions {
  /**
   * `'none'` keeps the signed gradient (default); `'abs'` gives the saliency map of Simonyan et
   * al.; `'square'` its square.
   */
  postprocess: 'none' | 'abs' | 'square';
}

/**
 * `gradient`: ∂score/∂x, signed by default. Simonyan, Vedaldi & Zisserman 2014, "Deep Inside
 * Convolutional Networks", https://arxiv.org/abs/1312.6034
 */
export const gradient: Method<GradientOptions> = {
  title: 'Gradient (saliency)',
  paper: 'https://arxiv.org/abs/1312.6034',
  usesGradients: true,
  options: {
    postprocess: {
      type: t.enum(['none', 'abs', 'square']),
      doc: "'none' keeps the signed gradient; 'abs' gives Simonyan et al.'s saliency map; 'square' its square",
      default: 'none',
    },
  },
  async run(p, o, ctx) {
    const { grads } = await batchGradientsAsync(p, ctx);
    if (o.postprocess !== 'none')
      for (const g of grads)
        for (let i = 0; i < g.length; i++) g[i] = o.postprocess === 'abs' ? Math.abs(g[i]) : g[i] * g[i];
    return { attributions: grads.map((data, i) => ({ data, shape: [...p.x[i].shape] })) };
  },
  rowwise: () => true,
};
