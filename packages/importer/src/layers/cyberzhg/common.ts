import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { directActivation, type Shape, singleShape } from '../layer-util.ts';

export type { Shape };
export { singleShape };

/** The constructor arguments every TF.js layer takes. */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Options keras-self-attention's `SeqSelfAttention` and `ScaledDotProductAttention` share. */
export interface HistoryAttentionArgs extends BaseLayerArgs {
  /** Return `[v, A]` instead of `v`. Default false. */
  returnAttention?: boolean;
  /** Only attend to the current and earlier steps: keys after the query step are hidden. Default false. */
  historyOnly?: boolean;
}

/** What keras-self-attention subtracts from a score to switch it off (`10000.0` in its source). */
export const MASK_PENALTY = 1e4;

/** `K.epsilon()`: keras-self-attention's pre-0.46 normalizer and SeqWeightedAttention add it. */
export const KERAS_EPSILON = 1e-7;

/**
 * TF.js base arguments for a layer read from a Keras config. Imported layers are inference-only
 * (`trainable: false`), which also makes `layer.weights` list the weights in creation order, the
 * order Keras writes them in `weight_names`.
 */
export function baseArgs(config: KerasLayerConfig): BaseLayerArgs {
  return { name: config.name, trainable: false };
}

/** The single input tensor of a one-input layer (TF.js may pass a one-element list). */
export function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** Whether TF.js passed a list of shapes (several inputs) rather than one shape. */
export function isShapeList(shape: tf.Shape | tf.Shape[]): shape is tf.Shape[] {
  return Array.isArray(shape[0]);
}

/** The mask TF.js passes in `kwargs.mask` (a tensor, a list with one entry per input, or nothing). */
export function maskArg(kwargs: Record<string, unknown> | undefined): tf.Tensor | (tf.Tensor | null)[] | null {
  const m = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
  return m ?? null;
}

/** The mask of the one input of a one-input layer. */
export function singleMask(mask: tf.Tensor | (tf.Tensor | null)[] | null | undefined): tf.Tensor | null {
  if (mask == null) return null;
  return Array.isArray(mask) ? (mask[0] ?? null) : mask;
}

/** The input tensor of a one-input layer's `call` and its mask (from `kwargs.mask`). */
export function inputAndMask(
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown> | undefined,
): [tf.Tensor, tf.Tensor | null] {
  return [single(inputs), singleMask(maskArg(kwargs))];
}

/** A mask as float32 1/0 values. */
export function floatMask(mask: tf.Tensor): tf.Tensor {
  return mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
}

/** `exp(x − max)` over the last axis: the numerator of keras-self-attention's hand-written softmax. */
export function shiftedExp(x: tf.Tensor): tf.Tensor {
  return tf.exp(tf.sub(x, tf.max(x, -1, true)));
}

/** `p / (Σ p + epsilon)` over the last axis: the denominator of keras-self-attention's hand-written softmax. */
export function normalizeLast(p: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.div(p, tf.add(tf.sum(p, -1, true), epsilon));
}

/** The last dimension of a shape, which must be known to create weights. */
export function featureDim(shape: Shape, layer: string, what = 'input'): number {
  const f = shape[shape.length - 1];
  if (f == null)
    fail(
      'INPUT_SHAPE',
      `Layer '${layer}' needs the last dimension of its ${what} to be known, found shape ${JSON.stringify(shape)}.`,
    );
  return f;
}

/** `K.dot(x, w)` for `x` of any rank ≥ 2 and a matrix `w` (F, U): contracts the last axis of x. */
export function dotLast(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(flat, w as tf.Tensor2D), [...lead, w.shape[1] as number]);
}

/**
 * A TF.js activation identifier (from `ctx.activation`) as a function. Common ones are direct ops;
 * the rest go through one `Activation` layer made once here, not one per call.
 */
export function activationFunction(identifier: string, owner: string): (x: tf.Tensor) => tf.Tensor {
  if (identifier === 'softmax') return (x) => tf.softmax(x, -1);
  const direct = directActivation(identifier);
  if (direct) return direct;
  let layer: tf.layers.Layer | null = null;
  return (x) => {
    layer ??= tf.layers.activation({ activation: identifier as never, name: `${owner}_${identifier}_activation` });
    return layer.apply(x) as tf.Tensor;
  };
}

/**
 * The local-attention window of keras-self-attention as a (T, T) 0/1 matrix: key `s` is visible
 * from query `t` iff `lower ≤ s < lower + width`, `lower = t − width + 1` with `historyOnly`, else
 * `t − ⌊width/2⌋`.
 */
export function attentionWindow(length: number, width: number, historyOnly: boolean): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let t = 0; t < length; t++) {
    const lower = historyOnly ? t - (width - 1) : t - Math.floor(width / 2);
    for (let s = 0; s < length; s++) values[t * length + s] = lower <= s && s < lower + width ? 1 : 0;
  }
  return tf.tensor2d(values, [length, length]);
}

/** Look up a registered TF.js class and build it from a TF.js `{className, config}` pair. */
export function deserializeLayer(json: { className: string; config: tf.serialization.ConfigDict }): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[json.className];
  if (!entry) {
    fail(
      'UNKNOWN_LAYER',
      `Cannot recreate inner layer class '${json.className}': it is not registered with tf.serialization.registerClass. Import the module that defines it before loading.`,
    );
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, json.config) as tf.layers.Layer;
}
