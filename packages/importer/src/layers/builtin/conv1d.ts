import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { type DataFormat, read } from '../config.ts';
import type { Activated } from '../capabilities.ts';
import type { BuildContext, LayerPort, WeightArray } from '../port.ts';
import { activationFunction, convOutputLength, register, singleShape } from './common.ts';

/** 1D convolution padding modes Keras accepts. */
export type Padding1D = 'valid' | 'same' | 'causal';

/** Options of {@link KerasConv1D}. */
export interface KerasConv1DArgs {
  name?: string;
  trainable?: boolean;
  filters: number;
  kernelSize: number;
  /** Default 1. */
  strides?: number;
  /** `'causal'` left-pads by `dilation·(kernel − 1)` zeros, then convolves `'valid'`. Default `'valid'`. */
  padding?: Padding1D;
  /** Default 1. */
  dilationRate?: number;
  /** TF.js activation identifier (from `ctx.activation`). Default `'linear'`. */
  activation?: string;
  /** Default `true`. */
  useBias?: boolean;
  /**
   * Keras `groups`: the input channels and the filters split into this many groups, each filter
   * group convolving only its own input group (kernel (k, F/groups, filters)). Conv1D only. Default 1.
   */
  groups?: number;
  /**
   * `'channels_first'`: input and output are (batch, channels, steps). Conv1D only. Default
   * `'channels_last'` (batch, steps, channels).
   */
  dataFormat?: DataFormat;
}

/** `causal` → pad the steps axis on the left as Keras does before a `valid` convolution. */
export function causalPad(x: tf.Tensor, padding: Padding1D, kernelSize: number, dilation: number): tf.Tensor {
  return padding === 'causal'
    ? tf.pad(x, [
        [0, 0],
        [dilation * (kernelSize - 1), 0],
        [0, 0],
      ])
    : x;
}

/**
 * A kernel (k, …) spread to ((k − 1)·d + 1, …) with zeros between the taps: convolving with it equals a
 * convolution with dilation d, and unlike TF.js' dilated conv it has gradients (TF.js: "dilation rates
 * greater than 1 are not yet supported in gradients").
 */
export function dilateKernel(kernel: tf.Tensor, dilation: number): tf.Tensor {
  if (dilation === 1) return kernel;
  const [k, ...rest] = kernel.shape;
  const spread = tf.concat([tf.expandDims(kernel, 1), tf.zeros([k, dilation - 1, ...rest])], 1);
  return tf.slice(tf.reshape(spread, [k * dilation, ...rest]), 0, (k - 1) * dilation + 1);
}

/**
 * What Keras `Conv1D` and `SeparableConv1D` share: the options (defaults applied), the output shape,
 * the config, the steps-axis convolution with every padding and dilation, and `call` as the
 * activation of {@link linear} (so the call without the activation is {@link linear}). Subclasses
 * make the weights and the linear part.
 */
export abstract class Conv1DBase extends tf.layers.Layer implements Activated {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1D;
  readonly dilationRate: number;
  readonly activation: string;
  readonly useBias: boolean;
  protected bias: tf.LayerVariable | null = null;
  protected readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(args: KerasConv1DArgs) {
    super(args as never);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.dilationRate = args.dilationRate ?? 1;
    this.activation = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.act = activationFunction(this.activation);
  }

  /** The features F of the (batch, steps, features) input, which must be known to make the weights. */
  protected inputFeatures(inputShape: tf.Shape | tf.Shape[], kerasClass: string): number {
    const f = singleShape(inputShape)[2];
    if (typeof f !== 'number')
      fail(
        'INPUT_SHAPE',
        `${kerasClass} '${this.name}' expects (batch, steps, features) with known features; got ${JSON.stringify(inputShape)}.`,
      );
    return f;
  }

  /** Convolve the steps axis of the input with `kernel` (k, F, C), padded, strided and dilated as configured. */
  protected convolve(inputs: tf.Tensor | tf.Tensor[], kernel: tf.Tensor): tf.Tensor3D {
    const x = causalPad(
      Array.isArray(inputs) ? inputs[0] : inputs,
      this.padding,
      this.kernelSize,
      this.dilationRate,
    ) as tf.Tensor3D;
    const dilated = dilateKernel(kernel, this.dilationRate) as tf.Tensor3D;
    return tf.conv1d(x, dilated, this.strides, this.padding === 'same' ? 'same' : 'valid', 'NWC', 1);
  }

  /** The convolution plus bias, before the activation. */
  protected abstract linear(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor;

  /** Add the bias when there is one. */
  protected addBias(y: tf.Tensor): tf.Tensor {
    return this.bias ? tf.add(y, this.bias.read()) : y;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.act(this.linear(inputs)));
  }

  callWithoutActivation(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.linear(inputs));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t] = singleShape(inputShape);
    return [
      b,
      convOutputLength(t ?? null, this.kernelSize, this.padding, this.strides, this.dilationRate),
      this.filters,
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
    };
  }
}

/**
 * Keras `Conv1D` with `'causal'` padding, which TF.js' conv1d throws on ("CAUSAL padding mode … is not
 * implemented yet"); also computes `'valid'` and `'same'`. Weights `kernel` (k, F, filters), `bias`
 * (filters).
 */
export class KerasConv1D extends Conv1DBase {
  static className = 'KerasConv1D';
  readonly groups: number;
  readonly dataFormat: DataFormat;
  private kernel!: tf.LayerVariable;

  constructor(args: KerasConv1DArgs) {
    super(args);
    this.groups = args.groups ?? 1;
    this.dataFormat = args.dataFormat ?? 'channels_last';
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0)
      fail(
        'UNSUPPORTED_CONFIG',
        `Conv1D '${this.name}': groups ${this.groups} must be a positive integer dividing filters ${this.filters}.`,
      );
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const f = this.dataFormat === 'channels_first' ? shape[1] : shape[2];
    if (typeof f !== 'number')
      fail(
        'INPUT_SHAPE',
        `Conv1D '${this.name}' expects (batch, ${this.dataFormat === 'channels_first' ? 'channels, steps' : 'steps, channels'}) with known channels; got ${JSON.stringify(inputShape)}.`,
      );
    if (f % this.groups !== 0)
      fail(
        'INPUT_SHAPE',
        `Conv1D '${this.name}': its ${f} input channels do not split into groups=${this.groups}, which Keras requires.`,
      );
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, f / this.groups, this.filters],
      'float32',
      tf.initializers.glorotUniform({}),
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  protected linear(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const first = this.dataFormat === 'channels_first';
    let x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (first) x = tf.transpose(x, [0, 2, 1]);
    const kernel = this.kernel.read();
    let y: tf.Tensor;
    if (this.groups === 1) y = this.convolve(x, kernel);
    else {
      // Group g: input channels g·F/G … and filters g·C/G …, convolved on their own.
      const xs = tf.split(x, this.groups, 2);
      const ks = tf.split(kernel, this.groups, 2);
      y = tf.concat(
        xs.map((xg, g) => this.convolve(xg, ks[g])),
        2,
      );
    }
    y = this.addBias(y);
    return first ? tf.transpose(y, [0, 2, 1]) : y;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (this.dataFormat !== 'channels_first') return super.computeOutputShape(inputShape);
    const [b, c, t] = singleShape(inputShape);
    const [, steps, filters] = super.computeOutputShape([b, t, c]);
    return [b, filters, steps];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, dataFormat: this.dataFormat };
  }
}
register(KerasConv1D);

/**
 * Read the options Conv1D and SeparableConv1D share, rejecting what cannot be ported. `groups` and
 * `data_format` are returned for Conv1D; SeparableConv1D rejects values other than the defaults.
 */
export function conv1dCommon(config: KerasLayerConfig, ctx: BuildContext, className: string) {
  const r = read(config, className);
  const dataFormat = r.dataFormat();
  const groups = r.has('groups') ? r.int('groups') : 1;
  if (className !== 'Conv1D') {
    if (dataFormat !== 'channels_last') r.unsupported('data_format', "only 'channels_last' is supported.");
    if (groups !== 1) r.unsupported('groups', 'grouped convolutions are not ported for this layer.');
  }
  const strides = r.int1('strides', 1);
  const dilationRate = r.int1('dilation_rate', 1);
  if (strides > 1 && dilationRate > 1)
    r.unsupported('strides', 'Keras itself rejects strides > 1 together with dilation_rate > 1.');
  return {
    name: config.name,
    trainable: r.bool('trainable', true),
    filters: r.has('filters') ? r.int('filters') : r.int('nb_filter'),
    kernelSize: r.has('kernel_size') ? r.int1('kernel_size') : r.int('filter_length'),
    strides,
    padding: r.str<Padding1D>('padding', 'valid', ['valid', 'same', 'causal']),
    dilationRate,
    activation: ctx.activation(config.activation ?? 'linear'),
    useBias: r.bool('use_bias', true),
    groups,
    dataFormat,
  };
}

/** Keras `Conv1D` (every padding including `'causal'`, `groups`, both data formats) → {@link KerasConv1D}. */
export const conv1dPort: LayerPort = {
  keepsKerasLayout: true,
  build: (config, ctx) => new KerasConv1D(conv1dCommon(config, ctx, 'Conv1D')),
  convertWeights: (weights, config) =>
    weights[0]?.shape.length === 4 ? [keras1Conv1DKernel(weights[0], config), ...weights.slice(1)] : weights,
};

/**
 * Keras 1 ran Conv1D as a 2-D convolution and stored its kernel as (k, 1, F, filters), or in
 * Keras 1.1's layout (filters, F, k, 1); Keras 2 loads either as (k, F, filters)
 * (`preprocess_weights_for_loading`: transpose (2, 3, 1, 0) when the shape is not the first, then
 * drop axis 1). Any other 4-D shape fails naming the layer.
 */
function keras1Conv1DKernel(w: WeightArray, config: KerasLayerConfig): WeightArray {
  const [a, b, c, d] = w.shape;
  const r = read(config, 'Conv1D');
  const k = r.int1('kernel_size');
  const filters = r.int('filters');
  if (a === k && b === 1 && d === filters) return { ...w, shape: [a, c, d] };
  if (a === filters && c === k && d === 1) {
    // out[t, f, o] = w[o, f, t, 0]
    const out = new Float32Array(w.data.length);
    for (let o = 0; o < a; o++)
      for (let f = 0; f < b; f++) for (let t = 0; t < c; t++) out[(t * b + f) * a + o] = w.data[(o * b + f) * c + t];
    return { name: w.name, shape: [c, b, a], data: out };
  }
  return fail(
    'WEIGHT_MISMATCH',
    `Layer '${config.name}' (Conv1D): the 4-D kernel ${JSON.stringify(w.shape)} is neither Keras 1's (${k}, 1, F, ${filters}) nor Keras 1.1's (${filters}, F, ${k}, 1) layout; re-save the model with Keras 2.`,
  );
}
