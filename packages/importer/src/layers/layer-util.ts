import * as tf from '@tensorflow/tfjs';

/** A shape as TF.js layers pass it: `null` for unknown dimensions. */
export type Shape = (number | null)[];

/** The single shape of a one-input layer (TF.js may pass a one-element list of shapes). */
export function singleShape(shape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
}

/**
 * The activations both layer families compute as direct tf ops (so that a recurrence or a score does
 * not go through a layer per call), by TF.js identifier (from `ctx.activation`); `null` for the rest,
 * which each family handles its own way.
 */
export function directActivation(identifier: string): ((x: tf.Tensor) => tf.Tensor) | null {
  switch (identifier) {
    case 'linear':
      return (x) => x;
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'relu':
      return (x) => tf.relu(x);
    default:
      return null;
  }
}

/**
 * Run `fn` so that no gradient flows back through it to `inputs` (TensorFlow's behaviour for ops
 * without a registered gradient: comparisons, `any`, casts to integers); the forward value is
 * unchanged. TF.js lacks gradients for some of these (`Any`, `NotEqual`) and would fail.
 */
export function withoutGradient(inputs: tf.Tensor[], fn: () => tf.Tensor): tf.Tensor {
  if (!inputs.length) return fn();
  const f = tf.customGrad((...args: unknown[]) => {
    const ts = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: fn(), gradFunc: () => ts.map((t) => tf.zeros(t.shape, 'float32')) };
  });
  return (f as (...ts: tf.Tensor[]) => tf.Tensor)(...inputs);
}
