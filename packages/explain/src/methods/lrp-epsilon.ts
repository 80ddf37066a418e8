import { t } from '@keraspect/array';
import { lrpOverride } from '../lrp/rules.ts';
import { gradient } from './gradient.ts';
import type { Method } from './method.ts';

/** Options of `lrpEpsilon`. */
export interface LrpEpsilonOptions {
  /** Stabilizer ε added to every denominator (with the sign of the denominator). Default 0.001. */
  epsilon: number;
  /**
   * Arras et al.'s `bias_factor`: 0 (default, as they recommend) lets biases and ε absorb their
   * share of relevance; 1 spreads each layer's bias-and-ε share evenly over the inputs it reads, so
   * relevance is conserved exactly (Σ R = the explained score, less what reaches the zero initial
   * states of recurrent layers). Values between scale the share.
   */
  biasFactor: number;
}

/**
 * `lrpEpsilon`: Layer-wise Relevance Propagation with the ε-rule, for Dense/Conv1D/LSTM/GRU/
 * SimpleRNN/attention stacks, with Arras et al.'s rule for multiplicative gates (the gate gets no
 * relevance, the signal all of it); equal to their code (ArrasL/LRP_for_LSTM) on LSTMs and BiLSTMs.
 * Explains the pre-activation score by default (`preActivation: true`), as LRP usually does. Arras
 * et al. 2017, "Explaining Recurrent Neural Network Predictions in Sentiment Analysis",
 * https://arxiv.org/abs/1706.07206; Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140
 */
export const lrpEpsilon: Method<LrpEpsilonOptions> = {
  title: 'LRP-ε',
  paper: 'https://arxiv.org/abs/1706.07206',
  usesGradients: true,
  preActivationDefault: true,
  options: {
    epsilon: {
      type: t.number({ min: 0 }),
      doc: 'stabilizer ε added to every denominator (with the sign of the denominator)',
      default: 1e-3,
    },
    biasFactor: {
      type: t.number({ min: 0, max: 1 }),
      doc: "Arras et al.'s bias_factor: 0 lets biases absorb their share, 1 gives it back to the inputs (exact conservation)",
      default: 0,
    },
  },
  override: (km, o) => lrpOverride(km, o),
  // Under the LRP rules what backpropagates is relevance: the "gradient" at the input is the attribution.
  run: (p, _o, ctx) => gradient.run(p, { postprocess: 'none' }, ctx),
  rowwise: () => true,
};
