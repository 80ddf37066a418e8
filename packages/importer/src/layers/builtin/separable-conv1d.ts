import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { activationFunction, convOutputLength, register, singleShape } from './common.ts';
import { causalPad, conv1dCommon, dilateKernel, type KerasConv1DArgs, type Padding1D } from './conv1d.ts';

/** Options of {@link KerasSeparableConv1D}. */
export interface KerasSeparableConv1DArgs extends KerasConv1DArgs {
  /** Depthwise channels per input channel. Default 1. */
  depthMultiplier?: number;
}

/**
 * Keras `SeparableConv1D`: a depthwise convolution (each input channel f with its own `dm` filters,
 * output channel `f·dm + m`) followed by a pointwise 1×1 convolution, plus bias, then the activation.
 * Weights in Keras order: `depthwise_kernel` (k, F, dm), `pointwise_kernel` (1, F·dm, filters), `bias`
 * (filters). Padding valid/same/causal, strides, dilation.
 */
export class KerasSeparableConv1D extends tf.layers.Layer {
  static className = 'KerasSeparableConv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1D;
  readonly dilationRate: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly depthMultiplier: number;
  private depthwise!: tf.LayerVariable;
  private pointwise!: tf.LayerVariable;
  private bias: tf.LayerVariable | null = null;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(args: KerasSeparableConv1DArgs) {
    super(args as never);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.dilationRate = args.dilationRate ?? 1;
    this.activation = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.depthMultiplier = args.depthMultiplier ?? 1;
    this.act = activationFunction(this.activation);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = singleShape(inputShape)[2];
    if (typeof f !== 'number') fail('INPUT_SHAPE', `SeparableConv1D '${this.name}' expects (batch, steps, features) with known features; got ${JSON.stringify(inputShape)}.`);
    const dm = this.depthMultiplier;
    this.depthwise = this.addWeight('depthwise_kernel', [this.kernelSize, f, dm], 'float32', tf.initializers.glorotUniform({}));
    this.pointwise = this.addWeight('pointwise_kernel', [1, f * dm, this.filters], 'float32', tf.initializers.glorotUniform({}));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t] = singleShape(inputShape);
    return [b, convOutputLength(t ?? null, this.kernelSize, this.padding, this.strides, this.dilationRate), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = causalPad(Array.isArray(inputs) ? inputs[0] : inputs, this.padding, this.kernelSize, this.dilationRate);
      // The depthwise step as a plain conv with a block-diagonal kernel (k, F, F·dm): TF.js' wasm
      // backend has no DepthwiseConv2dNativeBackpropInput, and input gradients must work there.
      const [k, f, dm] = this.depthwise.shape as number[];
      const blockDiagonal = tf.reshape(tf.mul(tf.expandDims(this.depthwise.read(), 2), tf.reshape(tf.eye(f), [1, f, f, 1])), [k, f, f * dm]);
      const kernel = dilateKernel(blockDiagonal, this.dilationRate) as tf.Tensor3D;
      const depth = tf.conv1d(x as tf.Tensor3D, kernel, this.strides, this.padding === 'same' ? 'same' : 'valid', 'NWC', 1);
      const [b, t] = depth.shape;
      let y: tf.Tensor = tf.reshape(tf.matMul(tf.reshape(depth, [b * t, f * dm]), tf.reshape(this.pointwise.read(), [f * dm, this.filters])), [b, t, this.filters]);
      if (this.bias) y = tf.add(y, this.bias.read());
      return this.act(y);
    });
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
      depthMultiplier: this.depthMultiplier,
    };
  }
}
register(KerasSeparableConv1D);

/** Keras `SeparableConv1D` → {@link KerasSeparableConv1D}. */
export const separableConv1dPort: LayerPort = {
  build(config, ctx) {
    const r = read(config, 'SeparableConv1D');
    return new KerasSeparableConv1D({ ...conv1dCommon(config, ctx, 'SeparableConv1D'), depthMultiplier: r.int('depth_multiplier', 1) });
  },
};
