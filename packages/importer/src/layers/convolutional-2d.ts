import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

// Keras' 2-D convolution and pooling layers (CNN-LSTM models on spectrograms), channels_last, whose
// TF.js counterparts have Keras semantics; each port maps the config. Global pooling is written
// here because TF.js' has no `keepdims`.

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

function channelsLast(r: ReturnType<typeof read>): void {
  if (r.str('data_format', 'channels_last') !== 'channels_last')
    r.unsupported('data_format', "only 'channels_last' is supported.");
}

export const Conv2D: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Conv2D');
    channelsLast(r);
    if (r.has('groups') && r.int('groups') !== 1) r.unsupported('groups', 'grouped convolutions are not ported.');
    return tf.layers.conv2d({
      ...base(c),
      filters: r.int('filters'),
      kernelSize: r.pair('kernel_size'),
      strides: r.pair('strides', [1, 1]),
      padding: r.str('padding', 'valid', ['valid', 'same'] as const),
      dilationRate: r.pair('dilation_rate', [1, 1]),
      dataFormat: 'channelsLast',
      activation: ctx.activation(c.activation) as never,
      useBias: r.bool('use_bias', true),
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
    });
  },
};

function pool2d(kind: 'MaxPooling2D' | 'AveragePooling2D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      channelsLast(r);
      const poolSize = r.pair('pool_size', [2, 2]);
      const args = {
        ...base(c),
        poolSize,
        strides: r.has('strides') ? r.pair('strides') : poolSize,
        padding: r.str('padding', 'valid', ['valid', 'same'] as const),
        dataFormat: 'channelsLast' as const,
      };
      return kind === 'MaxPooling2D' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
    },
  };
}

export const MaxPooling2D = pool2d('MaxPooling2D');
export const AveragePooling2D = pool2d('AveragePooling2D');

/** Keras' GlobalAveragePooling2D / GlobalMaxPooling2D over height and width, with `keepdims`. */
class KerasGlobalPooling2D extends tf.layers.Layer {
  static className = 'KerasGlobalPooling2D';
  private readonly mode: 'average' | 'max';
  private readonly keepdims: boolean;
  constructor(args: { name: string; mode: 'average' | 'max'; keepdims: boolean }) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
    this.keepdims = args.keepdims;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return this.keepdims ? [shape[0], 1, 1, shape[3]] : [shape[0], shape[3]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.mode === 'max' ? tf.max(x, [1, 2], this.keepdims) : tf.mean(x, [1, 2], this.keepdims);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, keepdims: this.keepdims };
  }
}
tf.serialization.registerClass(KerasGlobalPooling2D);

function global2d(kind: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      channelsLast(r);
      return new KerasGlobalPooling2D({
        name: c.name,
        mode: kind === 'GlobalMaxPooling2D' ? 'max' : 'average',
        keepdims: r.bool('keepdims', false),
      });
    },
  };
}

export const GlobalAveragePooling2D = global2d('GlobalAveragePooling2D');
export const GlobalMaxPooling2D = global2d('GlobalMaxPooling2D');
