import { fail } from '../errors.ts';
import { lrpOverride } from '../lrp/rules.ts';
import { gradientXInput } from './gradient-x-input.ts';
import type { Method } from './method.ts';

/** Options of `lrpEpsilon`. */
export interface LrpEpsilonOptions {
  /** Stabilizer ε added to every denominator (with the sign of the denominator). Default 0.001. */
  epsilon: number;
}

/**
 * `lrpEpsilon`: Layer-wise Relevance Propagation with the ε-rule, for Dense/Conv1D/LSTM/GRU/
 * SimpleRNN/attention stacks, with Arras et al.'s rule for multiplicative gates (the gate gets no
 * relevance, the signal all of it). Explains the pre-activation score by default
 * (`preActivation: true`), as LRP usually does. Relevance is conserved up to what biases and ε
 * absorb. Arras et al. 2017, "Explaining Recurrent Neural Network Predictions in Sentiment
 * Analysis", https://arxiv.org/abs/1706.07206; Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140
 */
export const lrpEpsilon: Method<LrpEpsilonOptions> = {
  title: 'LRP-ε',
  paper: 'https://arxiv.org/abs/1706.07206',
  usesGradients: true,
  preActivationDefault: true,
  normalize({ epsilon = 1e-3 }) {
    if (!(epsilon >= 0)) fail('BAD_OPTION', `lrpEpsilon: epsilon must be ≥ 0; got ${epsilon}.`);
    return { epsilon };
  },
  override: (km, o) => lrpOverride(km, o.epsilon),
  run: (p, _o, ctx) => gradientXInput.run(p, {}, ctx),
};
