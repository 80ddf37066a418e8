import * as tf from '@tensorflow/tfjs';
import { isAttentionSource, type KerasModel } from '@keraspect/importer';
import { fail } from '../errors.ts';
import type { LayerCall, LayerOverride } from '../graph.ts';
import { linearCall } from '../problem.ts';
import { detach, lrpPass, lrpRatio, lrpStabilize } from './ops.ts';

/**
 * How one Keras class is evaluated under LRP-ε; `undefined` = run as usual (bias-free routing).
 * `next` is the layer's own evaluation (linear for the output layer under `preActivation`).
 */
type Rule = (
  layer: tf.layers.Layer,
  ins: tf.Tensor[],
  kwargs: Record<string, unknown>,
  eps: number,
  next: LayerCall,
) => tf.Tensor[] | undefined;

const asIs: Rule = () => undefined;

/**
 * y = act(Wx + b): ε-rule through the linear part, relevance unchanged through the activation. Also
 * the output layer: under `preActivation` `next` gives y = z, and the ε-rule still applies (Arras et al.).
 */
const denseLike: Rule = (layer, ins, kwargs, eps, next) => {
  const y = next(ins, kwargs)[0];
  const z = linearCall(layer, ins, kwargs)?.[0] ?? y;
  return [lrpRatio(z, y, eps)];
};

/** Elementwise activations: relevance passes unchanged; the ε-rule belongs to the linear map below. */
const elementwise: Rule = (_layer, ins, kwargs, _eps, next) => [lrpPass(ins[0], next(ins, kwargs)[0])];

/** Affine maps and sums (BatchNormalization, Add, averages): ε-rule on the output. */
const affine: Rule = (_layer, ins, kwargs, eps, next) => [lrpStabilize(next(ins, kwargs)[0], eps)];

type Act = (x: tf.Tensor) => tf.Tensor;
interface RnnParts {
  kernel: tf.Tensor;
  recurrent: tf.Tensor;
  bias: tf.Tensor | null;
  units: number;
  act: Act;
  recAct: Act;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
}

function noMask(layer: tf.layers.Layer, kwargs: Record<string, unknown>): void {
  if (kwargs.mask)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: layer '${layer.name}' receives a mask (from Masking or Embedding(mask_zero)); LRP through masked recurrent layers is not implemented. Attribute to a layer after it (option layer), or use 'integratedGradients' or 'occlusion'.`,
    );
}

function tfjsRnnParts(layer: tf.layers.Layer): RnnParts {
  const l = layer as unknown as {
    cell: Record<string, unknown>;
    returnSequences: boolean;
    returnState: boolean;
    goBackwards: boolean;
  };
  const c = l.cell as {
    kernel: tf.LayerVariable;
    recurrentKernel: tf.LayerVariable;
    bias: tf.LayerVariable | null;
    units: number;
    activation: { apply: Act };
    recurrentActivation?: { apply: Act };
  };
  return {
    kernel: c.kernel.read(),
    recurrent: c.recurrentKernel.read(),
    bias: c.bias ? c.bias.read() : null,
    units: c.units,
    act: (x) => c.activation.apply(x),
    recAct: (x) => (c.recurrentActivation as { apply: Act }).apply(x),
    returnSequences: l.returnSequences,
    returnState: l.returnState,
    goBackwards: l.goBackwards,
  };
}

function projectInputs(x: tf.Tensor, parts: RnnParts): tf.Tensor[] {
  const [b, t, f] = x.shape as number[];
  let xw = tf.reshape(tf.matMul(tf.reshape(parts.goBackwards ? tf.reverse(x, 1) : x, [b * t, f]), parts.kernel), [
    b,
    t,
    -1,
  ]);
  if (parts.bias && parts.bias.rank === 1) xw = tf.add(xw, parts.bias);
  // Slices, not tf.unstack: unstack's gradient fails for a single step in TF.js 4.22.
  return Array.from({ length: t }, (_, i) => tf.reshape(tf.slice(xw, [0, i, 0], [b, 1, -1]), [b, -1]));
}

function finish(outs: tf.Tensor[], states: tf.Tensor[], parts: RnnParts): tf.Tensor[] {
  const result = parts.returnSequences ? tf.stack(outs, 1) : outs[outs.length - 1];
  return parts.returnState ? [result, ...states] : [result];
}

/**
 * LSTM (Arras et al. 2017): gates i, f, o carry no relevance; ε-rule on the cell sum and the
 * cell-input pre-activation; relevance passes from h to c unchanged.
 */
function lrpLstm(parts: RnnParts, x: tf.Tensor, eps: number): tf.Tensor[] {
  const u = parts.units;
  const xs = projectInputs(x, parts);
  let h: tf.Tensor = tf.zeros([x.shape[0], u]);
  let c: tf.Tensor = tf.zeros([x.shape[0], u]);
  const outs: tf.Tensor[] = [];
  for (const xt of xs) {
    const z = tf.add(xt, tf.matMul(h, parts.recurrent));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    const i = detach(parts.recAct(zi));
    const f = detach(parts.recAct(zf));
    const o = detach(parts.recAct(zo));
    const g = lrpRatio(zg, parts.act(zg), eps);
    c = lrpStabilize(tf.add(tf.mul(f, c), tf.mul(i, g)), eps);
    h = tf.mul(o, lrpPass(c, parts.act(c)));
    outs.push(h);
  }
  return finish(outs, [h, c], parts);
}

/** SimpleRNN: h = act(xW + hU + b), ratio rule. */
function lrpSimpleRnn(parts: RnnParts, x: tf.Tensor, eps: number): tf.Tensor[] {
  const xs = projectInputs(x, parts);
  let h: tf.Tensor = tf.zeros([x.shape[0], parts.units]);
  const outs: tf.Tensor[] = [];
  for (const xt of xs) {
    const z = tf.add(xt, tf.matMul(h, parts.recurrent));
    h = lrpRatio(z, parts.act(z), eps);
    outs.push(h);
  }
  return finish(outs, [h], parts);
}

/** Keras GRU (both reset_after modes): gates z, r carry no relevance; ε-rule on h̃'s pre-activation and on z·h + (1−z)·h̃. */
function lrpGru(layer: tf.layers.Layer, x: tf.Tensor, eps: number): tf.Tensor[] {
  const g = layer as unknown as {
    kernel: tf.LayerVariable;
    recurrentKernel: tf.LayerVariable;
    bias: tf.LayerVariable | null;
    units: number;
    act: Act;
    recAct: Act;
    resetAfter: boolean;
    returnSequences: boolean;
    returnState: boolean;
    goBackwards: boolean;
  };
  const u = g.units;
  const bias = g.bias ? g.bias.read() : null;
  const [inB, recB] = bias && g.resetAfter ? tf.unstack(bias, 0) : [bias, null];
  const parts: RnnParts = {
    kernel: g.kernel.read(),
    recurrent: g.recurrentKernel.read(),
    bias: inB,
    units: u,
    act: g.act,
    recAct: g.recAct,
    returnSequences: g.returnSequences,
    returnState: g.returnState,
    goBackwards: g.goBackwards,
  };
  const xs = projectInputs(x, parts);
  const rk = parts.recurrent;
  let h: tf.Tensor = tf.zeros([x.shape[0], u]);
  const outs: tf.Tensor[] = [];
  for (const xt of xs) {
    const [xz, xr, xh] = tf.split(xt, 3, 1);
    let z: tf.Tensor;
    let pre: tf.Tensor;
    if (g.resetAfter) {
      let inner = tf.matMul(h, rk);
      if (recB) inner = tf.add(inner, recB);
      const [iz, ir, ih] = tf.split(inner, 3, 1);
      z = detach(g.recAct(tf.add(xz, iz)));
      const r = detach(g.recAct(tf.add(xr, ir)));
      pre = tf.add(xh, tf.mul(r, ih));
    } else {
      const [iz, ir] = tf.split(tf.matMul(h, tf.slice(rk, [0, 0], [u, 2 * u])), 2, 1);
      z = detach(g.recAct(tf.add(xz, iz)));
      const r = detach(g.recAct(tf.add(xr, ir)));
      pre = tf.add(xh, tf.matMul(tf.mul(r, h), tf.slice(rk, [0, 2 * u], [u, u])));
    }
    const hh = lrpRatio(pre, g.act(pre), eps);
    h = lrpStabilize(tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)), eps);
    outs.push(h);
  }
  return finish(outs, [h], parts);
}

/** A recurrent layer (TF.js LSTM/SimpleRNN or the importer's GRU) under LRP. */
function recurrent(layer: tf.layers.Layer, x: tf.Tensor, eps: number): tf.Tensor[] {
  const cls = layer.getClassName();
  if (cls === 'LSTM') return lrpLstm(tfjsRnnParts(layer), x, eps);
  if (cls === 'SimpleRNN') return lrpSimpleRnn(tfjsRnnParts(layer), x, eps);
  if (cls === 'KerasGRU') return lrpGru(layer, x, eps);
  return fail(
    'UNSUPPORTED_LAYER',
    `lrpEpsilon: no rule for the recurrent layer '${layer.name}' (${cls}). Rules exist for LSTM, GRU and SimpleRNN.`,
  );
}

const rnn: Rule = (layer, ins, kwargs, eps) => {
  noMask(layer, kwargs);
  if (ins.length > 1)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: recurrent layer '${layer.name}' is given an initial state; LRP supports recurrent layers that start from zeros.`,
    );
  return recurrent(layer, ins[0], eps);
};

const bidirectional: Rule = (layer, ins, kwargs, eps) => {
  noMask(layer, kwargs);
  const l = layer as unknown as {
    forwardLayer: tf.layers.Layer;
    backwardLayer: tf.layers.Layer;
    mergeMode: string | null;
    returnSequences: boolean;
  };
  const fwd = recurrent(l.forwardLayer, ins[0], eps);
  const bwd = recurrent(l.backwardLayer, ins[0], eps);
  if (fwd.length > 1)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: Bidirectional layer '${layer.name}' returns its states; LRP supports return_state=False.`,
    );
  let y = fwd[0];
  let yr = bwd[0];
  if (l.returnSequences) yr = tf.reverse(yr, 1);
  switch (l.mergeMode) {
    case 'concat':
      return [tf.concat([y, yr], -1)];
    case 'sum':
      return [lrpStabilize(tf.add(y, yr), eps)];
    case 'ave':
      return [lrpStabilize(tf.mul(0.5, tf.add(y, yr)), eps)];
    default:
      y = fail(
        'UNSUPPORTED_LAYER',
        `lrpEpsilon: Bidirectional layer '${layer.name}' merges with '${l.mergeMode}'; LRP supports 'concat', 'sum' and 'ave'.`,
      );
      return [y];
  }
};

/**
 * Attention whose output is A·V with V an input (SeqSelfAttention, SeqWeightedAttention, built-in
 * Attention/AdditiveAttention): the weights A are treated as gates (no relevance), so relevance
 * flows to the values only (Arras et al.'s product rule; Ali et al. 2022, https://arxiv.org/abs/2202.07304).
 */
const attentionWeighted: Rule = (layer, ins, kwargs, _eps, next) => {
  const src = layer as unknown as {
    computeAttention(i: tf.Tensor | tf.Tensor[], k?: Record<string, unknown>): tf.Tensor;
  };
  const a = detach(src.computeAttention(ins.length === 1 ? ins[0] : ins, kwargs));
  const value = ins.length > 1 ? ins[1] : ins[0];
  const v = a.rank === 2 ? tf.sum(tf.mul(value, tf.expandDims(a, -1)), 1) : tf.matMul(a, value);
  const real = next(ins, kwargs);
  return real.length > 1 ? [v, detach(real[1])] : [v];
};

/** LRP rules by Keras class name. A class not listed has no rule, and LRP fails naming the layer. */
export const lrpRules: Record<string, Rule> = {
  Dense: denseLike,
  Conv1D: denseLike,
  Activation: elementwise,
  ReLU: elementwise,
  LeakyReLU: elementwise,
  ELU: elementwise,
  ThresholdedReLU: elementwise,
  BatchNormalization: affine,
  Add: affine,
  Average: affine,
  AveragePooling1D: affine,
  GlobalAveragePooling1D: affine,
  Dropout: asIs,
  SpatialDropout1D: asIs,
  GaussianDropout: asIs,
  GaussianNoise: asIs,
  AlphaDropout: asIs,
  Flatten: asIs,
  Reshape: asIs,
  Permute: asIs,
  RepeatVector: asIs,
  Concatenate: asIs,
  MaxPooling1D: asIs,
  GlobalMaxPooling1D: asIs,
  Cropping1D: asIs,
  ZeroPadding1D: asIs,
  UpSampling1D: asIs,
  LSTM: rnn,
  GRU: rnn,
  CuDNNLSTM: rnn,
  SimpleRNN: rnn,
  Bidirectional: bidirectional,
  SeqSelfAttention: attentionWeighted,
  SeqWeightedAttention: attentionWeighted,
  Attention: attentionWeighted,
  AdditiveAttention: attentionWeighted,
};

/** TimeDistributed is covered when it wraps a Dense or Conv1D. */
function timeDistributed(layer: tf.layers.Layer): Rule | undefined {
  const inner = (layer as unknown as { layer?: tf.layers.Layer }).layer;
  return inner && ['Dense', 'Conv1D'].includes(inner.getClassName()) ? denseLike : undefined;
}

/**
 * The layer override that evaluates `km` under LRP-ε. Checks every layer up front, so an
 * unsupported layer fails before any work, naming the layer and its class.
 */
export function lrpOverride(km: KerasModel, epsilon: number): LayerOverride {
  const rules = new Map<tf.layers.Layer, Rule>();
  for (const b of km.built.layers) {
    if (b.className === 'InputLayer') continue;
    const rule = b.className === 'TimeDistributed' ? timeDistributed(b.layer) : lrpRules[b.className];
    // A user class may shadow a Keras name (e.g. its own `Attention`): the attention rule needs the importer's AttentionSource.
    if (rule === attentionWeighted && !isAttentionSource(b.layer)) continue;
    if (rule) rules.set(b.layer, rule);
  }
  return (layer, ins, kwargs, next) => {
    const rule = rules.get(layer);
    if (!rule) {
      const b = km.built.layers.find((l) => l.layer === layer);
      return fail(
        'UNSUPPORTED_LAYER',
        `lrpEpsilon has no rule for layer '${layer.name}' (${b?.className ?? layer.getClassName()}). Rules exist for: ${Object.keys(lrpRules).join(', ')}, TimeDistributed(Dense|Conv1D). Use 'integratedGradients' or 'occlusion' for this model, or attribute to a layer after '${layer.name}' (option layer).`,
      );
    }
    return rule(layer, ins, kwargs, epsilon, next);
  };
}
