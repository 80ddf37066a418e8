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
  /** 'channels_first' pools axis 2 of a (batch, d1, d2) input, as Keras does. */
  channelsFirst: boolean;
}

/**
 * Keras' GlobalAveragePooling1D / GlobalMaxPooling1D over the steps axis (1, or 2 for
 * `channels_first`), with `keepdims` and, for the average, Keras' masked mean (masked steps
 * excluded) — TF.js has none of these.
 */
class KerasGlobalPooling1D extends tf.layers.Layer {
  static className = 'KerasGlobalPooling1D';
  private readonly mode: 'average' | 'max';
  private readonly keepdims: boolean;
  private readonly channelsFirst: boolean;
  constructor(args: GlobalArgs) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
    this.keepdims = args.keepdims;
    this.channelsFirst = args.channelsFirst;
    this.supportsMasking = true;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    const kept = this.channelsFirst ? shape[1] : shape[2];
    if (!this.keepdims) return [shape[0], kept];
    return this.channelsFirst ? [shape[0], kept, 1] : [shape[0], 1, kept];
  }
  override computeMask(): tf.Tensor {
    // Pooling over the steps removes the steps' mask (TF.js types masks as non-null).
    return null as unknown as tf.Tensor;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const mask = kwargs?.mask;
      const axis = this.channelsFirst ? 2 : 1;
      if (this.mode === 'max' || !mask)
        return this.mode === 'max' ? tf.max(x, axis, this.keepdims) : tf.mean(x, axis, this.keepdims);
      // Keras expands the (batch, steps) mask at the axis it does not pool, whatever the format.
      const m = tf.expandDims(tf.cast(mask, 'float32'), this.channelsFirst ? 1 : 2);
      return tf.div(tf.sum(tf.mul(x, m), axis, this.keepdims), tf.sum(m, axis, this.keepdims));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mode: this.mode,
      keepdims: this.keepdims,
      channelsFirst: this.channelsFirst,
    };
  }
}
tf.serialization.registerClass(KerasGlobalPooling1D);

function global1d(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      const format = r.str('data_format', 'channels_last', ['channels_last', 'channels_first'] as const);
      return new KerasGlobalPooling1D({
        name: c.name,
        mode: kind === 'GlobalMaxPooling1D' ? 'max' : 'average',
        keepdims: r.bool('keepdims', false),
        channelsFirst: format === 'channels_first',
      });
    },
  };
}

export const GlobalAveragePooling1D = global1d('GlobalAveragePooling1D');
export const GlobalMaxPooling1D = global1d('GlobalMaxPooling1D');
