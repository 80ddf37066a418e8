import * as tf from '@tensorflow/tfjs';
import { type DataFormat, read } from './config.ts';
import { convOutputLength } from './builtin/common.ts';
import { singleShape } from './layer-util.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

interface Pooling1DArgs {
  name: string;
  mode: 'max' | 'average';
  poolSize: number;
  strides: number;
  padding: 'valid' | 'same';
}

/**
 * Keras' MaxPooling1D / AveragePooling1D with `data_format='channels_first'`: (batch, channels,
 * steps) pooled along the steps, the last axis (TF.js' pooling layers only pool axis 1). As
 * TensorFlow does, an average over a 'same' window leaves the padding out of the count.
 */
class KerasPooling1DChannelsFirst extends tf.layers.Layer {
  static className = 'KerasPooling1DChannelsFirst';
  readonly mode: 'max' | 'average';
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channels_first';
  constructor(args: Pooling1DArgs) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
    this.poolSize = args.poolSize;
    this.strides = args.strides;
    this.padding = args.padding;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, c, t] = singleShape(s);
    return [b, c, convOutputLength(t ?? null, this.poolSize, this.padding, this.strides, 1)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, c, t] = x.shape as number[];
      // (B, C, T) → (B, T, 1, C): the 2-D pooling ops pool the steps as rows.
      const nhwc = tf.reshape(tf.transpose(x, [0, 2, 1]), [b, t, 1, c]) as tf.Tensor4D;
      const window: [number, number] = [this.poolSize, 1];
      const strides: [number, number] = [this.strides, 1];
      const y =
        this.mode === 'max'
          ? tf.maxPool(nhwc, window, strides, this.padding)
          : tf.avgPool(nhwc, window, strides, this.padding);
      return tf.transpose(tf.reshape(y, [b, y.shape[1], c]), [0, 2, 1]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mode: this.mode,
      poolSize: this.poolSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
    };
  }
}
tf.serialization.registerClass(KerasPooling1DChannelsFirst);

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
      if (r.dataFormat() === 'channels_first')
        return new KerasPooling1DChannelsFirst({ ...args, mode: kind === 'MaxPooling1D' ? 'max' : 'average' });
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
  dataFormat: DataFormat;
}

/**
 * Keras' GlobalAveragePooling1D / GlobalMaxPooling1D over the steps axis — axis 1, or axis 2 with
 * `data_format='channels_first'` — with `keepdims` and, for the average, Keras' masked mean (masked
 * steps excluded; the (batch, steps) mask expanded at the axis Keras expands it) — TF.js has none of these.
 */
class KerasGlobalPooling1D extends tf.layers.Layer {
  static className = 'KerasGlobalPooling1D';
  private readonly mode: 'average' | 'max';
  private readonly keepdims: boolean;
  readonly dataFormat: DataFormat;
  constructor(args: GlobalArgs) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
    this.keepdims = args.keepdims;
    this.dataFormat = args.dataFormat;
    this.supportsMasking = true;
  }
  /** The axis pooled over. */
  get stepsAxis(): 1 | 2 {
    return this.dataFormat === 'channels_first' ? 2 : 1;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(s);
    const kept = this.stepsAxis === 1 ? shape[2] : shape[1];
    if (!this.keepdims) return [shape[0], kept];
    return this.stepsAxis === 1 ? [shape[0], 1, kept] : [shape[0], kept, 1];
  }
  override computeMask(): tf.Tensor {
    // Pooling over the steps removes the steps' mask (TF.js types masks as non-null).
    return null as unknown as tf.Tensor;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const axis = this.stepsAxis;
      const mask = kwargs?.mask;
      if (this.mode === 'max') return tf.max(x, axis, this.keepdims);
      if (!mask) return tf.mean(x, axis, this.keepdims);
      // Keras expands the (batch, steps) mask at axis 2 (channels_last) or 1 (channels_first),
      // multiplies and divides by the mask's own sum over the pooled axis.
      const m = tf.expandDims(tf.cast(mask, 'float32'), axis === 1 ? 2 : 1);
      return tf.div(tf.sum(tf.mul(x, m), axis, this.keepdims), tf.sum(m, axis, this.keepdims));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, keepdims: this.keepdims, dataFormat: this.dataFormat };
  }
}
tf.serialization.registerClass(KerasGlobalPooling1D);

function global1d(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      return new KerasGlobalPooling1D({
        name: c.name,
        mode: kind === 'GlobalMaxPooling1D' ? 'max' : 'average',
        keepdims: r.bool('keepdims', false),
        dataFormat: r.dataFormat(),
      });
    },
  };
}

export const GlobalAveragePooling1D = global1d('GlobalAveragePooling1D');
export const GlobalMaxPooling1D = global1d('GlobalMaxPooling1D');
