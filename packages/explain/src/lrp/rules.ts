import * as tf from '@tensorflow/tfjs';
import {
  callsOf,
  flattenLayers,
  isAttentionSource,
  isBidirectionalWrapper,
  isRecurrentSource,
  type KerasModel,
  lastCallOf,
  type LayerCall,
  type LayerInfo,
  type LayerOverride,
  type RecurrentCell,
} from '@keraspect/importer';
import { fail } from '../errors.ts';
import { linearCall } from '../problem.ts';
import { detach, epsilonOut, gated, gradTimesValue, passThrough } from './ops.ts';

/** Settings of one LRP run. */
export interface LrpSettings {
  /** Stabilizer ε of every ε-rule. */
  epsilon: number;
  /** Arras et al.'s `bias_factor`: 0 lets biases and ε absorb their share, 1 gives it back to the inputs. */
  biasFactor: number;
}

/**
 * How one Keras class is evaluated under LRP-ε; `undefined` = run as usual (the gradient of a
 * routing layer — reshape, concatenation, max pooling, dropout — moves relevance where it belongs).
 * `next` is the layer's own evaluation (linear for the output layer under `preActivation`).
 */
type Rule = (
  layer: tf.layers.Layer,
  ins: tf.Tensor[],
  kwargs: Record<string, unknown>,
  lrp: LrpSettings,
  next: LayerCall,
) => tf.Tensor[] | undefined;

/**
 * Which inputs each output of a linear map reads, as a map of the raw inputs to z's shape whose
 * transpose spreads a share evenly over them (only evaluated with a bias factor).
 */
type Connect = (raw: tf.Tensor[], zShape: number[]) => tf.Tensor;

/** Every output reads every feature (last axis) of every input at its position: Dense, gate pre-activations. */
const dense: Connect = (raw, zShape) => {
  const n = raw.reduce((k, x) => k + (x.shape[x.rank - 1] as number), 0);
  const total = raw.map((x) => tf.sum(x, -1, true)).reduce((a, b) => tf.add(a, b));
  return tf.broadcastTo(tf.div(total, n), zShape);
};

/** Every output reads the same position of each input: Add, BatchNormalization. */
const elementwise: Connect = (raw, zShape) =>
  tf.div(
    raw.map((x) => tf.broadcastTo(x, zShape)).reduce((a, b) => tf.add(a, b)),
    raw.length,
  );

/**
 * ε-rule of the affine map z = `affine`(ins) with output `y` (z's activation; z when omitted):
 * relevance to each input in proportion to its contribution, the bias share spread by `connect`.
 */
function linearRule(
  ins: tf.Tensor[],
  affine: (xs: tf.Tensor[]) => tf.Tensor,
  lrp: LrpSettings,
  connect: Connect,
  y?: tf.Tensor,
): tf.Tensor {
  const z = affine(ins.map(gradTimesValue));
  if (!lrp.biasFactor) return epsilonOut(z, y ?? z, lrp.epsilon);
  const bias = affine(ins.map((x) => tf.zerosLike(x)));
  return epsilonOut(z, y ?? z, lrp.epsilon, {
    factor: lrp.biasFactor,
    bias,
    spread: connect(ins, z.shape as number[]),
  });
}

const asIs: Rule = () => undefined;

/**
 * y = act(Wx + b) (Dense, Conv1D, TimeDistributed of them): the ε-rule through the linear part,
 * relevance unchanged through the activation. Also the output layer: under `preActivation` `next`
 * gives y = z, and the ε-rule still applies (Arras et al.).
 */
const denseLike =
  (connect: (layer: tf.layers.Layer) => Connect): Rule =>
  (layer, ins, kwargs, lrp, next) => {
    const y = next(ins, kwargs)[0];
    const affine = (xs: tf.Tensor[]) => linearCall(layer, xs, kwargs)?.[0] ?? next(xs, kwargs)[0];
    return [linearRule(ins, affine, lrp, connect(layer), y)];
  };

/** Conv1D: each output step reads the real (not padded) steps of its receptive field, every channel. */
function convConnect(layer: tf.layers.Layer): Connect {
  const c = layer.getConfig() as Record<string, unknown>;
  const one = (v: unknown, d: number) => (Array.isArray(v) ? Number(v[0]) : v === undefined ? d : Number(v));
  const k = one(c.kernelSize, 1);
  const stride = one(c.strides, 1);
  const dilation = one(c.dilationRate, 1);
  const padding = String(c.padding ?? 'valid');
  // The map below reads (batch, steps, channels) and every input channel for every filter.
  if (c.dataFormat === 'channels_first' || (typeof c.groups === 'number' && c.groups > 1))
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: Conv1D '${layer.name}' has ${c.dataFormat === 'channels_first' ? "data_format='channels_first'" : `groups=${c.groups}`}, which the Conv1D rule does not cover. Use 'integratedGradients' or 'occlusion' for this model, or attribute to a layer after it (option layer).`,
    );
  return ([x], zShape) => {
    const span = (k - 1) * dilation + 1;
    const taps = Array.from({ length: span }, (_, i) => (i % dilation === 0 ? 1 : 0));
    const kernel = tf.tile(tf.reshape(tf.tensor1d(taps), [span, 1, 1]), [1, x.shape[2] as number, 1]);
    const conv = (v: tf.Tensor) => {
      const padded =
        padding === 'causal'
          ? tf.pad(v, [
              [0, 0],
              [span - 1, 0],
              [0, 0],
            ])
          : v;
      return tf.conv1d(padded as tf.Tensor3D, kernel as tf.Tensor3D, stride, padding === 'same' ? 'same' : 'valid');
    };
    return tf.broadcastTo(tf.div(conv(x), conv(tf.onesLike(x))), zShape);
  };
}

const denseConnect = () => dense;

/** Activation layers: relevance passes unchanged; the ε-rule belongs to the linear map below. */
const activation: Rule = (_layer, ins, kwargs, _lrp, next) => [passThrough(ins[0], next(ins, kwargs)[0])];

/** Affine maps and sums (BatchNormalization, Add): ε-rule of the layer itself. */
const affine: Rule = (_layer, ins, kwargs, lrp, next) => [
  linearRule(ins, (xs) => next(xs, kwargs)[0], lrp, elementwise),
];

/** Averages (Average, AveragePooling1D, GlobalAveragePooling1D): the layer is its own connectivity map. */
const averaging: Rule = (_layer, ins, kwargs, lrp, next) => [
  linearRule(
    ins,
    (xs) => next(xs, kwargs)[0],
    lrp,
    (raw) => next(raw, kwargs)[0],
  ),
];

function noMask(layer: tf.layers.Layer, kwargs: Record<string, unknown>): void {
  if (kwargs.mask)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: layer '${layer.name}' receives a mask (from Masking or Embedding(mask_zero)); LRP through masked recurrent layers is not implemented. Attribute to a layer after it (option layer), or use 'integratedGradients' or 'occlusion'.`,
    );
}

/** x·W for every step (no bias), as a list of (B, ·) slices, and the raw steps for the bias spread. */
function projectInputs(x: tf.Tensor, kernel: tf.Tensor, goBackwards: boolean): { xw: tf.Tensor[]; raw: tf.Tensor[] } {
  const [b, t, f] = x.shape as number[];
  const xr = goBackwards ? tf.reverse(x, 1) : x;
  const xw = tf.reshape(tf.matMul(tf.reshape(gradTimesValue(xr), [b * t, f]), kernel), [b, t, -1]);
  // Slices, not tf.unstack: unstack's gradient fails for a single step in TF.js 4.22.
  const step = (v: tf.Tensor, i: number) => tf.reshape(tf.slice(v, [0, i, 0], [b, 1, -1]), [b, -1]);
  return {
    xw: Array.from({ length: t }, (_, i) => step(xw, i)),
    raw: Array.from({ length: t }, (_, i) => step(xr, i)),
  };
}

function finish(
  outs: tf.Tensor[],
  states: tf.Tensor[],
  parts: Pick<RecurrentCell, 'returnSequences' | 'returnState'>,
): tf.Tensor[] {
  const result = parts.returnSequences ? tf.stack(outs, 1) : outs[outs.length - 1];
  return parts.returnState ? [result, ...states] : [result];
}

/**
 * The ε-rule of a recurrent pre-activation z = x_t·W + h·U + b (given as xw + hu + b, with xw
 * and hu already through `gradTimesValue`): its bias share spreads over x_t and h (Arras et al.:
 * `bias_nb_units` = features + units).
 */
function preActivation(
  z: tf.Tensor,
  y: tf.Tensor,
  bias: tf.Tensor | null,
  raw: tf.Tensor[],
  lrp: LrpSettings,
): tf.Tensor {
  if (!lrp.biasFactor) return epsilonOut(z, y, lrp.epsilon);
  return epsilonOut(z, y, lrp.epsilon, {
    factor: lrp.biasFactor,
    bias: bias ?? tf.zerosLike(z),
    spread: dense(raw, z.shape as number[]),
  });
}

/**
 * The ε-rule of a cell's gated sum a + b (LSTM c = f⊙c′ + i⊙g, GRU h = z⊙h′ + (1−z)⊙h̃). As in
 * Arras et al.'s code, which treats the sum as a linear layer from the 2·units products, the
 * stabilizer's share spreads over all of them.
 */
function cellSum(a: tf.Tensor, b: tf.Tensor, lrp: LrpSettings): tf.Tensor {
  return linearRule([a, b], ([p, q]) => tf.add(p, q), lrp, dense);
}

/**
 * LSTM (Arras et al. 2017): gates i, f, o carry no relevance; ε-rule on the cell-input
 * pre-activation and on the cell sum; relevance passes from h to c unchanged.
 */
function lrpLstm(cell: RecurrentCell, x: tf.Tensor, lrp: LrpSettings): tf.Tensor[] {
  const u = cell.units;
  const { xw, raw } = projectInputs(x, cell.kernel, cell.goBackwards);
  const [bi, bf, bg, bo] = cell.bias ? tf.split(cell.bias, 4, 0) : [null, null, null, null];
  const plus = (v: tf.Tensor, b: tf.Tensor | null) => (b ? tf.add(v, b) : v);
  let h: tf.Tensor = tf.zeros([x.shape[0], u]);
  let c: tf.Tensor = tf.zeros([x.shape[0], u]);
  const outs: tf.Tensor[] = [];
  xw.forEach((xt, t) => {
    const z = tf.add(xt, tf.matMul(gradTimesValue(h), cell.recurrentKernel));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    const pre = plus(zg, bg);
    const g = preActivation(pre, cell.applyActivation(pre), bg, [raw[t], h], lrp);
    c = cellSum(
      gated(cell.applyRecurrentActivation(plus(zf, bf)), c),
      gated(cell.applyRecurrentActivation(plus(zi, bi)), g),
      lrp,
    );
    h = gated(cell.applyRecurrentActivation(plus(zo, bo)), passThrough(c, cell.applyActivation(c)));
    outs.push(h);
  });
  return finish(outs, [h, c], cell);
}

/** SimpleRNN: h = act(x·W + h·U + b), the ε-rule on the pre-activation. */
function lrpSimpleRnn(cell: RecurrentCell, x: tf.Tensor, lrp: LrpSettings): tf.Tensor[] {
  const { xw, raw } = projectInputs(x, cell.kernel, cell.goBackwards);
  let h: tf.Tensor = tf.zeros([x.shape[0], cell.units]);
  const outs: tf.Tensor[] = [];
  xw.forEach((xt, t) => {
    let z = tf.add(xt, tf.matMul(gradTimesValue(h), cell.recurrentKernel));
    if (cell.bias) z = tf.add(z, cell.bias);
    h = preActivation(z, cell.applyActivation(z), cell.bias, [raw[t], h], lrp);
    outs.push(h);
  });
  return finish(outs, [h], cell);
}

/**
 * Keras GRU (both reset_after modes): gates z, r carry no relevance (r acts as a weight of h̃'s
 * linear map); ε-rule on h̃'s pre-activation and on the gated sum z⊙h + (1−z)⊙h̃.
 */
function lrpGru(g: RecurrentCell, x: tf.Tensor, lrp: LrpSettings): tf.Tensor[] {
  const u = g.units;
  const bias = g.bias;
  const [inB, recB] = bias && g.resetAfter ? tf.unstack(bias, 0) : [bias, null];
  const { xw, raw } = projectInputs(x, g.kernel, g.goBackwards);
  const [bz, br, bh] = inB ? tf.split(inB, 3, 0) : [null, null, null];
  const plus = (v: tf.Tensor, b: tf.Tensor | null) => (b ? tf.add(v, b) : v);
  const rk = g.recurrentKernel;
  let h: tf.Tensor = tf.zeros([x.shape[0], u]);
  const outs: tf.Tensor[] = [];
  xw.forEach((xt, t) => {
    const [xz, xr, xh] = tf.split(xt, 3, 1);
    const hv = gradTimesValue(h);
    let z: tf.Tensor;
    let pre: tf.Tensor;
    let preBias: tf.Tensor | null;
    if (g.resetAfter) {
      const [iz, ir, ih] = tf.split(tf.matMul(hv, rk), 3, 1);
      const [rz, rr, rh] = recB ? tf.split(recB, 3, 0) : [null, null, null];
      z = g.applyRecurrentActivation(plus(plus(tf.add(xz, iz), bz), rz));
      const r = detach(g.applyRecurrentActivation(plus(plus(tf.add(xr, ir), br), rr)));
      pre = plus(tf.add(xh, tf.mul(r, plus(ih, rh))), bh);
      preBias = bh && rh ? tf.add(bh, tf.mul(r, rh)) : (bh ?? (rh ? tf.mul(r, rh) : null));
    } else {
      const [iz, ir] = tf.split(tf.matMul(hv, tf.slice(rk, [0, 0], [u, 2 * u])), 2, 1);
      z = g.applyRecurrentActivation(plus(tf.add(xz, iz), bz));
      const r = detach(g.applyRecurrentActivation(plus(tf.add(xr, ir), br)));
      pre = plus(tf.add(xh, tf.matMul(tf.mul(r, hv), tf.slice(rk, [0, 2 * u], [u, u]))), bh);
      preBias = bh;
    }
    const hh = preActivation(pre, g.applyActivation(pre), preBias, [raw[t], h], lrp);
    h = cellSum(gated(z, h), gated(tf.sub(1, z), hh), lrp);
    outs.push(h);
  });
  return finish(outs, [h], g);
}

/** A recurrent layer (the importer's `RecurrentSource`: LSTM, GRU, SimpleRNN and their CuDNN forms) under LRP. */
function recurrent(layer: tf.layers.Layer, x: tf.Tensor, lrp: LrpSettings): tf.Tensor[] {
  if (!isRecurrentSource(layer))
    return fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: no rule for the recurrent layer '${layer.name}' (${layer.getClassName()}). Rules exist for LSTM, GRU and SimpleRNN.`,
    );
  const cell = layer.recurrentCell();
  if (cell.kind === 'lstm') return lrpLstm(cell, x, lrp);
  if (cell.kind === 'simple') return lrpSimpleRnn(cell, x, lrp);
  return lrpGru(cell, x, lrp);
}

const rnn: Rule = (layer, ins, kwargs, lrp) => {
  noMask(layer, kwargs);
  if (ins.length > 1)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: recurrent layer '${layer.name}' is given an initial state; LRP supports recurrent layers that start from zeros.`,
    );
  return recurrent(layer, ins[0], lrp);
};

const bidirectional: Rule = (layer, ins, kwargs, lrp) => {
  noMask(layer, kwargs);
  if (!isBidirectionalWrapper(layer))
    return fail('UNSUPPORTED_LAYER', `lrpEpsilon: layer '${layer.name}' is not the importer's Bidirectional.`);
  const l = layer;
  const fwd = recurrent(l.forwardLayer, ins[0], lrp);
  const bwd = recurrent(l.backwardLayer, ins[0], lrp);
  if (fwd.length > 1)
    fail(
      'UNSUPPORTED_LAYER',
      `lrpEpsilon: Bidirectional layer '${layer.name}' returns its states; LRP supports return_state=False.`,
    );
  const y = fwd[0];
  // With return_sequences (a (B, T, U) output) the backward copy's steps are reversed back.
  const yr = bwd[0].rank === 3 ? tf.reverse(bwd[0], 1) : bwd[0];
  switch (l.mergeMode) {
    case 'concat':
      return [tf.concat([y, yr], -1)];
    case 'sum':
      return [linearRule([y, yr], ([a, b]) => tf.add(a, b), lrp, elementwise)];
    case 'ave':
      return [linearRule([y, yr], ([a, b]) => tf.mul(0.5, tf.add(a, b)), lrp, elementwise)];
    default:
      return fail(
        'UNSUPPORTED_LAYER',
        `lrpEpsilon: Bidirectional layer '${layer.name}' merges with '${l.mergeMode}'; LRP supports 'concat', 'sum' and 'ave'.`,
      );
  }
};

/**
 * Attention whose output is A·V with V an input (SeqSelfAttention, SeqWeightedAttention, built-in
 * Attention/AdditiveAttention): the weights A are treated as constants (no relevance) and the
 * ε-rule applies to the linear map V → A·V, so relevance flows to the values only (Arras et al.'s
 * product rule; Ali et al. 2022, https://arxiv.org/abs/2202.07304). Each output reads every step
 * of the values (its bias share, ε only, spreads over them).
 */
const attentionWeighted: Rule = (layer, ins, kwargs, lrp, next) => {
  if (!isAttentionSource(layer)) return undefined; // not reached: lrpOverride gives this rule to attention sources only
  const a = detach(layer.computeAttention(ins.length === 1 ? ins[0] : ins, kwargs));
  const value = ins.length > 1 ? ins[1] : ins[0];
  const mix = ([v]: tf.Tensor[]) => (a.rank === 2 ? tf.sum(tf.mul(v, tf.expandDims(a, -1)), 1) : tf.matMul(a, v));
  const overSteps: Connect = ([v], zShape) =>
    tf.broadcastTo(a.rank === 2 ? tf.mean(v, 1) : tf.mean(v, 1, true), zShape);
  const out = linearRule([value], mix, lrp, overSteps);
  const real = next(ins, kwargs);
  return real.length > 1 ? [out, detach(real[1])] : [out];
};

/** LRP rules by Keras class name. A class not listed has no rule, and LRP fails naming the layer. */
export const lrpRules: Record<string, Rule> = {
  Dense: denseLike(denseConnect),
  Conv1D: denseLike(convConnect),
  Activation: activation,
  ReLU: activation,
  LeakyReLU: activation,
  ELU: activation,
  ThresholdedReLU: activation,
  BatchNormalization: affine,
  Add: affine,
  Average: averaging,
  AveragePooling1D: averaging,
  GlobalAveragePooling1D: averaging,
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

const noBiasFactor: Connect = () =>
  fail(
    'BAD_OPTION',
    'lrpEpsilon: biasFactor is not supported through TimeDistributed(Conv1D); use biasFactor 0 for this model.',
  );

/** TimeDistributed is covered when it wraps a Dense or Conv1D (its call without activation is the wrapped layer's). */
function timeDistributed(info: LayerInfo): Rule | undefined {
  const cls = info.innerClassName;
  return cls === 'Dense' ? denseLike(denseConnect) : cls === 'Conv1D' ? denseLike(() => noBiasFactor) : undefined;
}

/**
 * The layer override that evaluates `km` under LRP-ε. An unsupported layer fails when it is first
 * reached, naming the layer and its class. The model's outputs start the relevance flow (y ⊙ ∂score/∂y),
 * so they must not also feed other layers.
 */
export function lrpOverride(km: KerasModel, lrp: LrpSettings): LayerOverride {
  const rules = new Map<tf.layers.Layer, Rule>();
  // Nested models are evaluated layer by layer (runGraph), so their layers get rules too.
  const every = flattenLayers(km.layers);
  for (const b of every) {
    if (b.className === 'InputLayer') continue;
    const rule = b.className === 'TimeDistributed' ? timeDistributed(b) : lrpRules[b.className];
    // A user class may shadow a Keras name (e.g. its own `Attention`): the attention rule needs the importer's AttentionSource.
    if (rule === attentionWeighted && !isAttentionSource(b.layer)) continue;
    if (rule) rules.set(b.layer, rule);
  }
  const outputIds = new Set(km.model.outputs.map((o) => o.id));
  const outputLayers = new Map<tf.layers.Layer, tf.SymbolicTensor[]>();
  for (const o of km.model.outputs) outputLayers.set(o.sourceLayer, [...(lastCallOf(o.sourceLayer)?.outputs ?? [])]);
  for (const b of km.layers) {
    const reads = callsOf(b.layer).flatMap((c) => c.inputs);
    const out = reads.find((t) => outputIds.has(t.id));
    if (out)
      fail(
        'UNSUPPORTED_LAYER',
        `lrpEpsilon: the model output '${out.sourceLayer.name}' also feeds layer '${b.name}'; LRP starts its relevance at the outputs and needs outputs that no other layer reads. Use 'integratedGradients' or 'occlusion' for this model.`,
      );
  }
  return (layer, ins, kwargs, next) => {
    const rule = rules.get(layer);
    if (!rule) {
      const b = every.find((l) => l.layer === layer);
      return fail(
        'UNSUPPORTED_LAYER',
        `lrpEpsilon has no rule for layer '${layer.name}' (${b?.className ?? layer.getClassName()}). Rules exist for: ${Object.keys(lrpRules).join(', ')}, TimeDistributed(Dense|Conv1D). Use 'integratedGradients' or 'occlusion' for this model, or attribute to a layer after '${layer.name}' (option layer).`,
      );
    }
    const outs = outputLayers.get(layer);
    const got = rule(layer, ins, kwargs, lrp, next);
    if (!outs) return got;
    // The explained output: relevance starts as y ⊙ ∂score/∂y.
    return (got ?? next(ins, kwargs)).map((t, i) => (outs[i] && outputIds.has(outs[i].id) ? gradTimesValue(t) : t));
  };
}
