import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import { withoutGradient } from '../layer-util.ts';
import type { LayerPort } from '../port.ts';
import { register, singleShape } from './common.ts';

type OutputMode = 'one_hot' | 'multi_hot' | 'count';

/**
 * Keras `CategoryEncoding` (keras/src/layers/preprocessing/category_encoding.py with
 * `numerical_utils.encode_categorical_inputs`): integer ids → float32 encodings of `numTokens`.
 * `one_hot` encodes every element — a last axis of size 1 (rank ≥ 2) is replaced by the encoding,
 * any other input gets it as a new last axis; `multi_hot` (1 where an id occurs) and `count` (how
 * often) reduce the last axis. Ids are cast to int32 first (floats truncate, as Keras' cast does);
 * ids outside [0, numTokens) encode to nothing. The output has no gradient (the ids are integers).
 */
export class KerasCategoryEncoding extends tf.layers.Layer {
  static className = 'KerasCategoryEncoding';
  readonly numTokens: number;
  readonly outputMode: OutputMode;

  constructor(args: { name?: string; numTokens: number; outputMode: OutputMode }) {
    super({ name: args.name, trainable: false });
    this.numTokens = args.numTokens;
    this.outputMode = args.outputMode;
  }

  /** Whether one_hot encodes on the last axis (size 1) instead of adding one. */
  private replacesLast(shape: readonly (number | null)[]): boolean {
    return shape.length >= 2 && shape[shape.length - 1] === 1;
  }

  /** `count_weights` arrives as a second input; weighted counts are not ported (refused, not ignored). */
  private refuseCountWeights(several: boolean): void {
    if (several)
      fail(
        'UNSUPPORTED_CONFIG',
        `CategoryEncoding '${this.name}' is called with count_weights; weighted counts are not supported.`,
      );
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    this.refuseCountWeights(Array.isArray(inputShape[0]) && inputShape.length > 1);
    const shape = singleShape(inputShape);
    if (shape.length === 0) return [this.numTokens];
    if (this.outputMode === 'one_hot' && !this.replacesLast(shape)) return [...shape, this.numTokens];
    return [...shape.slice(0, -1), this.numTokens];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    this.refuseCountWeights(Array.isArray(inputs) && inputs.length > 1);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return withoutGradient([x], () =>
      tf.tidy(() => {
        const ids = x.rank === 0 ? tf.reshape(tf.cast(x, 'int32'), [1]) : tf.cast(x, 'int32');
        // int32 then cast: the wasm backend's OneHot writes int32 bits whatever dtype is asked for.
        const encoded = tf.cast(tf.oneHot(tf.reshape(ids, [-1]), this.numTokens), 'float32');
        const shape = ids.shape;
        if (this.outputMode === 'one_hot')
          return tf.reshape(encoded, [...(this.replacesLast(shape) ? shape.slice(0, -1) : shape), this.numTokens]);
        const perStep = tf.reshape(encoded, [...shape, this.numTokens]);
        return this.outputMode === 'count' ? tf.sum(perStep, -2) : tf.max(perStep, -2);
      }),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numTokens: this.numTokens, outputMode: this.outputMode };
  }
}
register(KerasCategoryEncoding);

/** Keras `CategoryEncoding` → {@link KerasCategoryEncoding}; `'binary'` is Keras' old name for `multi_hot`. */
export const categoryEncodingPort: LayerPort = {
  build(config) {
    const r = read(config, 'CategoryEncoding');
    const mode = r.str('output_mode', 'multi_hot', ['one_hot', 'multi_hot', 'count', 'binary']);
    const outputMode: OutputMode = mode === 'binary' ? 'multi_hot' : mode;
    if (r.bool('sparse', false))
      r.unsupported('sparse', 'TF.js has no sparse tensors; save the model with sparse=False.');
    const numTokens = r.int('num_tokens');
    if (numTokens < 1) r.unsupported('num_tokens', 'it must be at least 1.');
    return new KerasCategoryEncoding({ name: config.name, numTokens, outputMode });
  },
};
