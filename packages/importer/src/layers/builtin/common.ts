import * as tf from '@tensorflow/tfjs';
import { applyActivation } from '../activations.ts';
import { directActivation, type Shape, singleShape } from '../layer-util.ts';
import type { WeightArray } from '../port.ts';

export type { Shape };
export { singleShape };

/** Register a layer class with TF.js serialization (idempotent across module reloads). */
export function register(
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable> & { className: string },
): void {
  tf.serialization.registerClass(cls);
}

/**
 * A TF.js activation identifier (from `ctx.activation`) as a function. The common ones are direct
 * tf ops so that a recurrence does not create a layer per step.
 */
export function activationFunction(identifier: string): (x: tf.Tensor) => tf.Tensor {
  if (identifier === 'hardSigmoid') return (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
  return directActivation(identifier) ?? ((x) => applyActivation(identifier, x));
}

/**
 * A call keyword argument under its Keras (snake_case) or TF.js (camelCase) spelling; TF.js'
 * `modelFromJSON` camel-cases the kwargs stored in inbound nodes.
 */
export function kwarg(kwargs: Record<string, unknown> | undefined, snake: string): unknown {
  if (!kwargs) return undefined;
  if (kwargs[snake] !== undefined) return kwargs[snake];
  const camel = snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return kwargs[camel];
}

/** A boolean call kwarg, or `def` when absent/null. */
export function boolKwarg(kwargs: Record<string, unknown> | undefined, snake: string, def: boolean): boolean {
  const v = kwarg(kwargs, snake);
  return v === undefined || v === null ? def : Boolean(v);
}

/** A mask (bool or numeric) as float32 0/1. */
export function maskToFloat(mask: tf.Tensor): tf.Tensor {
  return mask.dtype === 'float32' ? tf.cast(tf.greater(mask, 0.5), 'float32') : tf.cast(mask, 'float32');
}

/** The length of a 1D convolution/pooling output, as Keras' `conv_output_length`. */
export function convOutputLength(
  length: number | null,
  kernel: number,
  padding: string,
  stride: number,
  dilation: number,
): number | null {
  if (length === null) return null;
  const dilated = (kernel - 1) * dilation + 1;
  let out: number;
  if (padding === 'same' || padding === 'causal') out = length;
  else if (padding === 'valid') out = length - dilated + 1;
  else out = length + dilated - 1; // 'full'
  return Math.floor((out + stride - 1) / stride);
}

/**
 * Keras 1's per-gate weight arrays (all (rows, n) or all (n)) joined along their last axis, as Keras
 * 2's `preprocess_weights_for_loading` does with `np.concatenate(…, axis=-1)`.
 */
function concatLastAxis(parts: WeightArray[], name: string): WeightArray {
  const rows = parts[0].shape.length === 2 ? parts[0].shape[0] : 1;
  const cols = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = cols.reduce((a, b) => a + b, 0);
  const data = new Float32Array(rows * total);
  for (let row = 0; row < rows; row++) {
    let off = 0;
    parts.forEach((p, k) => {
      data.set(p.data.subarray(row * cols[k], (row + 1) * cols[k]), row * total + off);
      off += cols[k];
    });
  }
  return { name, shape: parts[0].shape.length === 2 ? [rows, total] : [total], data };
}

/**
 * Keras 1's recurrent weights — a (W, U, b) triple per gate, gate after gate as stored — as Keras 2's
 * `kernel`, `recurrent_kernel` and `bias`, with the gates in `order` (indices of the stored gates).
 */
export function joinGateArrays(weights: WeightArray[], order: number[], layer: string): WeightArray[] {
  return (['kernel', 'recurrent_kernel', 'bias'] as const).map((part, k) =>
    concatLastAxis(
      order.map((g) => weights[3 * g + k]),
      `${layer}/${part}`,
    ),
  );
}
