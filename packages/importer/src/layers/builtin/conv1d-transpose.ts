import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { activationFunction, register, singleShape } from './common.ts';
import { dilateKernel } from './conv1d.ts';

/** Options of {@link KerasConv1DTranspose}. */
export interface KerasConv1DTransposeArgs {
  name: string;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'valid' | 'same';
  /** Extra steps at the end of the output (Keras' `output_padding`); `null` for Keras' default length. */
  outputPadding: number | null;
  dilationRate: number;
  /** TF.js activation identifier. */
  activation: string;
  useBias: boolean;
}

/** Keras' `deconv_output_length`: the steps a transposed convolution makes of `length` steps. */
export function deconvOutputLength(
  length: number | null,
  kernel: number,
  padding: 'valid' | 'same',
  outputPadding: number | null,
  stride: number,
  dilation: number,
): number | null {
  if (length === null) return null;
  const k = kernel + (kernel - 1) * (dilation - 1);
  if (outputPadding === null) return padding === 'valid' ? length * stride + Math.max(k - stride, 0) : length * stride;
  const pad = padding === 'same' ? Math.floor(k / 2) : 0;
  return (length - 1) * stride + k - 2 * pad + outputPadding;
}

/**
 * Keras `Conv1DTranspose` (channels_last): the transpose (gradient) of a strided, dilated 1-D
 * convolution, i.e. each input step scatters `kernel`·x over `kernel_size` output steps `strides`
 * apart, cropped to Keras' output length as TensorFlow's `conv1d_transpose` crops it. Weights `kernel`
 * (k, filters, in_channels), `bias` (filters).
 */
export class KerasConv1DTranspose extends tf.layers.Layer {
  static className = 'KerasConv1DTranspose';
  readonly args: KerasConv1DTransposeArgs;
  private kernel!: tf.LayerVariable;
  private bias: tf.LayerVariable | null = null;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(args: KerasConv1DTransposeArgs) {
    super({ name: args.name, trainable: false });
    this.args = args;
    this.act = activationFunction(args.activation);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = singleShape(inputShape)[2];
    if (typeof c !== 'number')
      fail(
        'INPUT_SHAPE',
        `Conv1DTranspose '${this.name}' expects (batch, steps, channels) with known channels; got ${JSON.stringify(inputShape)}.`,
      );
    this.kernel = this.addWeight(
      'kernel',
      [this.args.kernelSize, this.args.filters, c],
      'float32',
      tf.initializers.zeros(),
    );
    if (this.args.useBias) this.bias = this.addWeight('bias', [this.args.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t] = singleShape(inputShape);
    const { kernelSize, padding, outputPadding, strides, dilationRate, filters } = this.args;
    return [b, deconvOutputLength(t ?? null, kernelSize, padding, outputPadding, strides, dilationRate), filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, t] = x.shape;
      const { kernelSize, padding, outputPadding, strides, dilationRate, filters } = this.args;
      const kernel = dilateKernel(this.kernel.read(), dilationRate);
      const length = deconvOutputLength(t, kernelSize, padding, outputPadding, strides, dilationRate) as number;
      const y = tf.conv2dTranspose(
        tf.expandDims(x, 1) as tf.Tensor4D,
        tf.expandDims(kernel, 0) as tf.Tensor4D,
        [b, 1, length, filters],
        [1, strides],
        padding,
      );
      const out = tf.squeeze(y, [1]);
      return this.act(this.bias ? tf.add(out, this.bias.read()) : out);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
register(KerasConv1DTranspose);

/** Keras `Conv1DTranspose` → {@link KerasConv1DTranspose}. */
export const conv1dTransposePort: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Conv1DTranspose');
    if (r.str('data_format', 'channels_last') !== 'channels_last')
      r.unsupported('data_format', "only 'channels_last' is supported.");
    const strides = r.int1('strides', 1);
    const dilationRate = r.int1('dilation_rate', 1);
    if (strides > 1 && dilationRate > 1)
      r.unsupported('strides', 'Keras rejects strides > 1 together with dilation_rate > 1.');
    return new KerasConv1DTranspose({
      name: c.name,
      filters: r.int('filters'),
      kernelSize: r.int1('kernel_size'),
      strides,
      padding: r.str('padding', 'valid', ['valid', 'same'] as const),
      outputPadding: c.output_padding === null || c.output_padding === undefined ? null : r.int1('output_padding'),
      dilationRate,
      activation: ctx.activation(c.activation ?? 'linear'),
      useBias: r.bool('use_bias', true),
    });
  },
};
