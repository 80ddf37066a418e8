import { t } from '@keraspect/array';
import { deepLiftOverride } from '../deeplift/rules.ts';
import { DEEPLIFT_EPS } from '../deeplift/ops.ts';
import { sizes } from '../problem.ts';
import { pairedAttributions, pairedMultipliers } from './deep-lift-core.ts';
import type { Method } from './method.ts';
import { type Reference, referenceType, referenceValues, rowIndependentReference } from './reference.ts';

/** Options of `deepLift`. */
export interface DeepLiftOptions {
  /** The reference x̄ (see {@link Reference}). Default `'zeros'` (Captum's default baseline). */
  baseline: Reference;
  /**
   * `'rescale'` (default, Captum's rule) or `'revealCancel'`, which splits Δz of Dense layers into
   * positive and negative parts (other layers keep Rescale).
   */
  rule: 'rescale' | 'revealCancel';
  /** Multiply the multipliers by x − x̄ (Captum's `multiply_by_inputs`, default `true`); `false` returns the multipliers. */
  multiplyByInputs: boolean;
  /** Below this |Δ| a layer's ratio Δy/Δx becomes its gradient. Default 1e-10 (Captum's `eps`). */
  eps: number;
}

/**
 * `deepLift`: DeepLIFT (Rescale rule, optionally RevealCancel on Dense layers) as Captum runs it —
 * multipliers Δy/Δx of every nonlinearity between x and a reference x̄, backpropagated like a
 * gradient — for Dense, Conv1D, activations, pooling, merges, LayerNormalization, recurrent layers
 * (unrolled; gates as gates: signal-take-all) and attention (weights as gates). Returns `delta` = Σattr − (f(x) − f(x̄)), 0 up to float error
 * ("summation-to-delta"). Shrikumar, Greenside & Kundaje 2017, "Learning Important Features Through
 * Propagating Activation Differences", https://arxiv.org/abs/1704.02685
 */
export const deepLift: Method<DeepLiftOptions> = {
  title: 'DeepLIFT',
  paper: 'https://arxiv.org/abs/1704.02685',
  usesGradients: true,
  options: {
    baseline: { type: referenceType, doc: "the reference x̄: 'zeros', 'mean', a number or an array", default: 'zeros' },
    rule: {
      type: t.enum(['rescale', 'revealCancel']),
      doc: "'rescale' (Captum's rule) or 'revealCancel', which splits Δz of Dense layers into positive and negative parts",
      default: 'rescale',
    },
    multiplyByInputs: {
      type: t.boolean,
      doc: "multiply the multipliers by x − x̄ (Captum's multiply_by_inputs)",
      default: true,
    },
    eps: {
      type: t.number({ min: 0 }),
      doc: "below this |Δ| a layer's ratio Δy/Δx becomes its gradient (Captum's eps)",
      default: DEEPLIFT_EPS,
    },
  },
  override: (km, o) => deepLiftOverride(km, { rule: o.rule, eps: o.eps }),
  async run(p, o, ctx) {
    const refs = referenceValues(p, o.baseline, 'deepLift');
    const n = sizes(p);
    const r = await pairedMultipliers(
      p,
      ctx,
      p.batch,
      (j) => j,
      (j, t, out) => out.set(refs[t].perSample ? refs[t].data.subarray(j * n[t], (j + 1) * n[t]) : refs[t].data),
    );
    return pairedAttributions(p, r, 1, o.multiplyByInputs);
  },
  rowwise: (o, p) => rowIndependentReference(o.baseline, p),
};
