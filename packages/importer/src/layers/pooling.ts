import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

function pool1d(kind: 'MaxPooling1D' | 'AveragePooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      const poolSize = r.int1('pool_size', 2);
      const args = {
        ...base(c),
        poolSize,
        strides: r.has('strides') ? r.int1('strides') : poolSize,
        padding: r.str('padding', 'valid', ['valid', 'same'] as const),
      };
      return kind === 'MaxPooling1D' ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args);
    },
  };
}

export const MaxPooling1D = pool1d('MaxPooling1D');
export const AveragePooling1D = pool1d('AveragePooling1D');

interface GlobalArgs {
  name: string;
  mode: 'average' | 'max';
  keepdims: boolean;
}

/**
 * Keras' GlobalAveragePooling1D / GlobalMaxPooling1D over the steps axis, with `keepdims` and, for
 * the average, Keras' masked mean (masked steps excluded) — TF.js has neither.
 */
class KerasGlobalPooling1D extends tf.layers.Layer {
  static className = 'KerasGlobalPooling1D';
  private readonly mode: 'average' | 'max';
  private readonly keepdims: boolean;
  constructor(args: GlobalArgs) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
    this.keepdims = args.keepdims;
    this.supportsMasking = true;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return this.keepdims ? [shape[0], 1, shape[2]] : [shape[0], shape[2]];
  }
  override computeMask(): tf.Tensor {
    // Pooling over the steps removes the steps' mask (TF.js types masks as non-null).
    return null as unknown as tf.Tensor;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const mask = kwargs?.mask;
      if (this.mode === 'max' || !mask)
        return this.mode === 'max' ? tf.max(x, 1, this.keepdims) : tf.mean(x, 1, this.keepdims);
      const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
      return tf.div(tf.sum(tf.mul(x, m), 1, this.keepdims), tf.sum(m, 1, this.keepdims));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, keepdims: this.keepdims };
  }
}
tf.serialization.registerClass(KerasGlobalPooling1D);

function global1d(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      if (r.str('data_format', 'channels_last') !== 'channels_last')
        r.unsupported('data_format', "only 'channels_last' is supported.");
      return new KerasGlobalPooling1D({
        name: c.name,
        mode: kind === 'GlobalMaxPooling1D' ? 'max' : 'average',
        keepdims: r.bool('keepdims', false),
      });
    },
  };
}

export const GlobalAveragePooling1D = global1d('GlobalAveragePooling1D');
export const GlobalMaxPooling1D = global1d('GlobalMaxPooling1D');
