import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort, WeightArray } from '../port.ts';

// Keras' ConvLSTM1D (keras/src/layers/rnn/conv_lstm1d.py, tf.keras layers/rnn/conv_lstm1d.py):
// input (batch, time, rows, channels); each step's gates come from a 1-D convolution of the input
// (the configured padding, strides, dilation) plus a 'same' 1-D convolution of the previous
// hidden state, in LSTM gate order i, f, c, o. That is TF.js' ConvLSTM2D on (batch, time, rows, 1,
// channels) with (k, 1) kernels, which this layer runs; Keras' (k, in, 4·filters) kernels take the
// extra unit axis on loading.

interface Args {
  name: string;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'valid' | 'same';
  dilationRate: number;
  activation: string;
  recurrentActivation: string;
  useBias: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
}

/** Keras' ConvLSTM1D, channels_last, composed over TF.js' ConvLSTM2D. */
export class KerasConvLSTM1D extends tf.layers.Layer {
  static className = 'KerasConvLSTM1D';
  readonly args: Args;
  private readonly inner: tf.layers.Layer;

  constructor(args: Args) {
    super({ name: args.name, trainable: false });
    this.args = args;
    this.inner = tf.layers.convLstm2d({
      name: `${args.name}_2d`,
      trainable: false,
      filters: args.filters,
      kernelSize: [args.kernelSize, 1],
      strides: [args.strides, 1],
      padding: args.padding,
      dilationRate: [args.dilationRate, 1],
      dataFormat: 'channelsLast',
      activation: args.activation as never,
      recurrentActivation: args.recurrentActivation as never,
      useBias: args.useBias,
      returnSequences: args.returnSequences,
      goBackwards: args.goBackwards,
      unitForgetBias: false,
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
      biasInitializer: 'zeros',
    });
  }

  private static as2d(shape: tf.Shape): tf.Shape {
    return [...shape.slice(0, 3), 1, ...shape.slice(3)];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.inner.build(KerasConvLSTM1D.as2d(shape));
    this.inner.built = true;
    this.built = true;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return this.inner.trainableWeights;
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.inner.nonTrainableWeights;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = this.inner.computeOutputShape(KerasConvLSTM1D.as2d(shape)) as tf.Shape;
    return [...out.slice(0, -2), out[out.length - 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = this.inner.call(tf.expandDims(x, 3), {}) as tf.Tensor;
      return tf.squeeze(y, [y.rank - 2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
tf.serialization.registerClass(KerasConvLSTM1D);

/** Keras ConvLSTM1D → {@link KerasConvLSTM1D}. */
export const convLstm1dPort: LayerPort = {
  describe: "Keras' built-in ConvLSTM1D",
  build(c, ctx) {
    const r = read(c, 'ConvLSTM1D');
    if (r.str('data_format', 'channels_last') !== 'channels_last')
      r.unsupported('data_format', "only 'channels_last' is supported.");
    if (r.has('return_state') && r.bool('return_state')) r.unsupported('return_state', 'states are not returned.');
    if (r.has('stateful') && r.bool('stateful')) r.unsupported('stateful', 'stateful layers are not ported.');
    return new KerasConvLSTM1D({
      name: c.name,
      filters: r.int('filters'),
      kernelSize: r.int1('kernel_size'),
      strides: r.int1('strides', 1),
      padding: r.str('padding', 'valid', ['valid', 'same'] as const),
      dilationRate: r.int1('dilation_rate', 1),
      activation: ctx.activation(c.activation ?? 'tanh', `Layer '${c.name}' activation`),
      recurrentActivation: ctx.activation(
        c.recurrent_activation ?? (ctx.kerasVersion.major >= 3 ? 'sigmoid' : 'hard_sigmoid'),
        `Layer '${c.name}' recurrent_activation`,
      ),
      useBias: r.bool('use_bias', true),
      returnSequences: r.bool('return_sequences', false),
      goBackwards: r.bool('go_backwards', false),
    });
  },
  /** Keras' (k, in, 4·filters) kernels as TF.js' (k, 1, in, 4·filters): the same values, one more axis. */
  convertWeights(weights: WeightArray[]): WeightArray[] {
    return weights.map((w) => (w.shape.length === 3 ? { ...w, shape: [w.shape[0], 1, ...w.shape.slice(1)] } : w));
  },
};
