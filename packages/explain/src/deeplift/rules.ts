import * as tf from '@tensorflow/tfjs';
import { isAttentionSource, type KerasModel, type LayerCall, type LayerOverride } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { linearCall } from '../problem.ts';
import {
  attendValues,
  halfProduct,
  halves,
  pairedMask,
  rescale,
  revealCancelDense,
  selection,
  softmaxRescale,
} from './ops.ts';
import { checkRecurrentCall, deepLiftBidirectional, deepLiftRecurrent } from './recurrent.ts';

/** Options the DeepLIFT rules need. */
export interface DeepLiftRuleOptions {
  /** `'rescale'` everywhere, or `'revealCancel'` for Dense layers (and TimeDistributed(Dense)). */
  rule: 'rescale' | 'revealCancel';
  eps: number;
}

/**
 * How one Keras class is evaluated under DeepLIFT; `undefined` = as usual (linear and shape layers,
 * whose gradient is their exact multiplier). `next` is the layer's own evaluation.
 */
type Rule = (
  layer: tf.layers.Layer,
  ins: tf.Tensor[],
  kwargs: Record<string, unknown>,
  o: DeepLiftRuleOptions,
  next: LayerCall,
) => tf.Tensor[] | undefined;

const asIs: Rule = () => undefined;

/** The activation a layer's config names (`'linear'` when none), looking through TimeDistributed. */
function activationName(layer: tf.layers.Layer): string {
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (typeof cfg.activation === 'string') return cfg.activation;
  const inner = cfg.layer as { config?: Record<string, unknown> } | undefined;
  if (typeof inner?.config?.activation === 'string') return inner.config.activation;
  return 'linear';
}

/** The activation function TF.js knows by this name (for the gradient fallback), if any. */
function activationFn(name: string): ((t: tf.Tensor) => tf.Tensor) | undefined {
  try {
    const a = tf.layers.activation({ activation: name as never });
    return (t) => a.apply(t) as tf.Tensor;
  } catch {
    return undefined;
  }
}

/** Rescale (or softmax) from z to y; `y` is the identity of `z` when preActivation took the activation away. */
function nonlinearity(z: tf.Tensor, y: tf.Tensor, name: string, o: DeepLiftRuleOptions): tf.Tensor {
  if (name === 'linear') return y;
  if (name === 'softmax') {
    // Under preActivation the output layer's `next` is already linear (y = z): nothing to rescale.
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(y, z))).dataSync()[0]) === 0;
    return same ? y : softmaxRescale(z, y, o.eps);
  }
  return rescale(z, y, o.eps, activationFn(name));
}

/** y = act(Wx + b) (Dense, Conv1D, TimeDistributed of them): Rescale (or RevealCancel) from z to y. */
const activated: Rule = (layer, ins, kwargs, o, next) => {
  const y = next(ins, kwargs)[0];
  const name = activationName(layer);
  if (name === 'linear') return [y];
  const z = linearCall(layer, ins, kwargs)?.[0] ?? y;
  const dense = layer.getClassName() === 'Dense' || innerClass(layer) === 'Dense';
  if (o.rule === 'revealCancel' && dense && name !== 'softmax') {
    const act = activationFn(name);
    const [w, b] = layer.getWeights();
    if (act) return [revealCancelDense(ins[0], w, b ?? null, y, act, o.eps)];
  }
  return [nonlinearity(z, y, name, o)];
};

function innerClass(layer: tf.layers.Layer): string | undefined {
  const inner = (layer.getConfig() as { layer?: { class_name?: string } }).layer;
  return inner?.class_name;
}

/** Activation layers: Rescale from their input. */
const elementwise: Rule = (layer, ins, kwargs, o, next) => {
  const y = next(ins, kwargs)[0];
  const cls = layer.getClassName();
  const name = cls === 'Activation' ? activationName(layer) : cls === 'Softmax' ? 'softmax' : 'elementwise';
  if (name === 'elementwise') return [rescale(ins[0], y, o.eps, (t) => layer.apply(t) as tf.Tensor)];
  return [nonlinearity(ins[0], y, name, o)];
};

/** A copy of `t` that the gradient tape does not trace back (masks: values only, no gradient). */
function constant(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/**
 * Whether a batch can be (input, reference) pairs. Forward-only passes (the problem's evaluation at
 * x) may have any batch; they run the layer as usual, and only paired passes are differentiated.
 */
function paired(t: tf.Tensor): boolean {
  return (t.shape[0] as number) % 2 === 0;
}

/**
 * The values a max (min) over `axis` of `w` picks, gathered at the same positions in both halves:
 * where the input's output is ≥ the reference's (≤ for a min) at x's pick, else at the reference's
 * — Captum's "cross maximum", so the whole Δ lands on a position whose own Δ carries it.
 */
function crossPick(w: tf.Tensor, axis: number, y: tf.Tensor, minimum: boolean): tf.Tensor {
  const size = w.shape[axis] as number;
  const onehot = (h: tf.Tensor) => {
    const oh = tf.oneHot(minimum ? tf.argMin(h, axis) : tf.argMax(h, axis), size);
    const perm = Array.from({ length: oh.rank - 1 }, (_, i) => i);
    perm.splice(axis, 0, oh.rank - 1);
    return tf.transpose(tf.cast(oh, 'float32'), perm);
  };
  const [wx, wr] = halves(w);
  const [yx, yr] = halves(y);
  const c = tf.expandDims(tf.cast(minimum ? tf.lessEqual(yx, yr) : tf.greaterEqual(yx, yr), 'float32'), axis);
  const chosen = tf.add(tf.mul(c, onehot(wx)), tf.mul(tf.sub(1, c), onehot(wr)));
  return tf.sum(tf.mul(w, pairedMask(constant(chosen))), axis);
}

/** GlobalMaxPooling1D: each channel's Δ goes to the step the maximum picks (see `crossPick`). */
const globalMaxPool: Rule = (layer, ins, kwargs, o, next) => {
  if (!paired(ins[0])) return undefined;
  const y = next(ins, kwargs)[0];
  const steps = (layer.getConfig() as { dataFormat?: string }).dataFormat === 'channels_first' ? 2 : 1;
  return [selection(crossPick(ins[0], steps, y, false), y, o.eps)];
};

/** MaxPooling1D with strides = pool size (Keras' default), valid or same padding. */
const maxPool: Rule = (layer, ins, kwargs, o, next) => {
  if (!paired(ins[0])) return undefined;
  const y = next(ins, kwargs)[0];
  const cfg = layer.getConfig() as {
    poolSize?: number | number[];
    strides?: number | number[] | null;
    padding?: string;
  };
  if ((cfg as { dataFormat?: string }).dataFormat === 'channels_first')
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: MaxPooling1D '${layer.name}' has data_format='channels_first'; the DeepLIFT rule covers channels_last. Use 'integratedGradients', or attribute to a layer after it (option layer).`,
    );
  const p = [cfg.poolSize ?? 2].flat()[0] as number;
  const s = [cfg.strides ?? p].flat()[0] as number;
  if (s !== p)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: MaxPooling1D '${layer.name}' has strides ${s} ≠ pool_size ${p} (overlapping windows); the DeepLIFT rule covers strides = pool_size. Use 'integratedGradients', or attribute to a layer after it (option layer).`,
    );
  const x = ins[0];
  const [R2, T, C] = x.shape as number[];
  const out = y.shape[1] as number;
  const total = cfg.padding === 'same' ? out * p - T : 0;
  const before = Math.floor(total / 2);
  // Padding cells (−3e38) are never picked, and 0 · −3e38 is 0: the gathered sum holds real values only.
  const padded =
    total > 0
      ? tf.pad(
          x,
          [
            [0, 0],
            [before, total - before],
            [0, 0],
          ],
          -3e38,
        )
      : tf.slice(x, [0, 0, 0], [R2, out * p, C]);
  return [selection(crossPick(tf.reshape(padded, [R2, out, p, C]), 2, y, false), y, o.eps)];
};

/** Maximum / Minimum: each position's Δ goes to the input picked (see `crossPick`). */
const extremum: Rule = (layer, ins, kwargs, o, next) => {
  if (!paired(ins[0])) return undefined;
  const y = next(ins, kwargs)[0];
  return [selection(crossPick(tf.stack(ins, 1), 1, y, layer.getClassName() === 'Minimum'), y, o.eps)];
};

/** Multiply: ½/½ split of the interaction; more than two inputs multiply pairwise from the left. */
const multiply: Rule = (_layer, ins) => [ins.slice(1).reduce((acc, t) => halfProduct(acc, t), ins[0])];

/**
 * LayerNormalization over the last axis: the centred input c = x − mean(x) is the signal and the
 * 1/σ scaling a gate (signal-take-all), so the multiplier is Δy/Δc mapped back through the centring.
 */
const layerNorm: Rule = (layer, ins, kwargs, o, next) => {
  const cfg = layer.getConfig() as { axis?: number | number[] };
  const rank = ins[0].rank;
  const axes = cfg.axis === undefined ? [-1] : Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis];
  if (!(axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1)))
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: LayerNormalization '${layer.name}' normalizes over axis ${JSON.stringify(cfg.axis)}; the DeepLIFT rule covers the last axis only. Attribute to a layer after it (option layer), or use 'integratedGradients'.`,
    );
  const y = next(ins, kwargs)[0];
  return [rescale(tf.sub(ins[0], tf.mean(ins[0], -1, true)), y, o.eps)];
};

/**
 * Attention whose output is A·V with V an input (SeqSelfAttention, SeqWeightedAttention, built-in
 * Attention/AdditiveAttention): the weights are gates, V takes the whole Δ (as LRP's rule).
 */
const attention: Rule = (layer, ins, kwargs, o, next) => {
  if (!isAttentionSource(layer)) return undefined;
  const a = layer.computeAttention(ins.length === 1 ? ins[0] : ins, kwargs);
  const value = ins.length > 1 ? ins[1] : ins[0];
  const v = attendValues(a, value, o.eps);
  const real = next(ins, kwargs);
  return real.length > 1 ? [v, ...real.slice(1)] : [v];
};

/** x·W (+ b) on the last axis. */
function denseLast(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const f = x.shape[x.rank - 1] as number;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, f]), w), [...x.shape.slice(0, -1), w.shape[1] as number]);
  return b ? tf.add(y, b) : y;
}

/**
 * keras-position-wise-feed-forward's FeedForward, act(x·W1 + b1)·W2 + b2: two linear maps around
 * one activation, which gets Rescale (weights read through TF.js' `getWeights`, in Keras order).
 */
const feedForward: Rule = (layer, ins, _kwargs, o) => {
  if (!paired(ins[0])) return undefined;
  const useBias = (layer.getConfig() as { useBias?: boolean }).useBias !== false;
  const ws = layer.getWeights();
  const [w1, b1, w2, b2] = useBias ? ws : [ws[0], null, ws[1], null];
  const name = activationName(layer);
  const act = activationFn(name);
  if (!act)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: FeedForward '${layer.name}' uses the activation '${name}', which TF.js does not know by name. Attribute to a layer after it (option layer), or use 'integratedGradients'.`,
    );
  const z = denseLast(ins[0], w1, b1);
  return [denseLast(nonlinearity(z, act(z), name, o), w2, b2)];
};

/** LSTM, GRU, SimpleRNN (and CuDNN forms): the recurrence unrolled, gates as gates (see `recurrent.ts`). */
const recurrent: Rule = (layer, ins, kwargs, o) => {
  checkRecurrentCall(layer, ins, kwargs);
  if (!paired(ins[0])) return undefined;
  return deepLiftRecurrent(layer, ins[0], o.eps);
};

/** Bidirectional(LSTM|GRU|SimpleRNN): both directions unrolled, then the merge. */
const bidirectional: Rule = (layer, ins, kwargs, o) => {
  checkRecurrentCall(layer, ins, kwargs);
  if (!paired(ins[0])) return undefined;
  return deepLiftBidirectional(layer, ins[0], o.eps);
};

/** DeepLIFT rules by Keras class name. A class not listed has no rule, and DeepLIFT fails naming the layer. */
export const deepLiftRules: Record<string, Rule> = {
  Dense: activated,
  Conv1D: activated,
  SeparableConv1D: activated,
  Activation: elementwise,
  Softmax: elementwise,
  ReLU: elementwise,
  LeakyReLU: elementwise,
  ELU: elementwise,
  ThresholdedReLU: elementwise,
  PReLU: elementwise,
  MaxPooling1D: maxPool,
  GlobalMaxPooling1D: globalMaxPool,
  Maximum: extremum,
  Minimum: extremum,
  Multiply: multiply,
  LayerNormalization: layerNorm,
  FeedForward: feedForward,
  BatchNormalization: asIs,
  Add: asIs,
  Subtract: asIs,
  Average: asIs,
  AveragePooling1D: asIs,
  GlobalAveragePooling1D: asIs,
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
  Cropping1D: asIs,
  ZeroPadding1D: asIs,
  UpSampling1D: asIs,
  SeqSelfAttention: attention,
  SeqWeightedAttention: attention,
  Attention: attention,
  AdditiveAttention: attention,
  LSTM: recurrent,
  GRU: recurrent,
  SimpleRNN: recurrent,
  CuDNNLSTM: recurrent,
  CuDNNGRU: recurrent,
  Bidirectional: bidirectional,
};

/**
 * The layer override that evaluates `km` under DeepLIFT. Checks every layer up front, so a layer
 * without a rule fails before any work, naming the layer and its class.
 */
export function deepLiftOverride(km: KerasModel, o: DeepLiftRuleOptions): LayerOverride {
  const rules = new Map<tf.layers.Layer, Rule>();
  const missing: string[] = [];
  for (const b of km.layers) {
    if (b.className === 'InputLayer') continue;
    let rule: Rule | undefined = deepLiftRules[b.className];
    if (b.className === 'TimeDistributed') {
      const inner = b.innerClassName;
      rule =
        inner === 'Dense' || inner === 'Conv1D' ? activated : inner && deepLiftRules[inner] === asIs ? asIs : undefined;
    }
    if (rule === attention && !isAttentionSource(b.layer)) rule = undefined;
    if (rule) rules.set(b.layer, rule);
    else missing.push(`'${b.name}' (${b.className})`);
  }
  if (missing.length)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift has no rule for layer ${missing.join(', ')}. Rules exist for: ${Object.keys(deepLiftRules).join(', ')}, TimeDistributed(Dense|Conv1D). Use 'integratedGradients' or 'gradientShap' for this model, or attribute to a layer after it (option layer).`,
    );
  return (layer, ins, kwargs, next) => rules.get(layer)?.(layer, ins, kwargs, o, next);
}
