import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register } from './common.ts';
import { Conv1DBase, conv1dCommon, type KerasConv1DArgs } from './conv1d.ts';

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
export class KerasSeparableConv1D extends Conv1DBase {
  static className = 'KerasSeparableConv1D';
  readonly depthMultiplier: number;
  private depthwise!: tf.LayerVariable;
  private pointwise!: tf.LayerVariable;

  constructor(args: KerasSeparableConv1DArgs) {
    super(args);
    this.depthMultiplier = args.depthMultiplier ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = this.inputFeatures(inputShape, 'SeparableConv1D');
    const dm = this.depthMultiplier;
    this.depthwise = this.addWeight(
      'depthwise_kernel',
      [this.kernelSize, f, dm],
      'float32',
      tf.initializers.glorotUniform({}),
    );
    this.pointwise = this.addWeight(
      'pointwise_kernel',
      [1, f * dm, this.filters],
      'float32',
      tf.initializers.glorotUniform({}),
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  protected linear(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      // The depthwise step as a plain conv with a block-diagonal kernel (k, F, F·dm): TF.js' wasm
      // backend has no DepthwiseConv2dNativeBackpropInput, and input gradients must work there.
      const [k, f, dm] = this.depthwise.shape as number[];
      const blockDiagonal = tf.reshape(
        tf.mul(tf.expandDims(this.depthwise.read(), 2), tf.reshape(tf.eye(f), [1, f, f, 1])),
        [k, f, f * dm],
      );
      const depth = this.convolve(inputs, blockDiagonal);
      const [b, t] = depth.shape;
      return this.addBias(
        tf.reshape(
          tf.matMul(tf.reshape(depth, [b * t, f * dm]), tf.reshape(this.pointwise.read(), [f * dm, this.filters])),
          [b, t, this.filters],
        ),
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthMultiplier: this.depthMultiplier };
  }
}
register(KerasSeparableConv1D);

/** Keras `SeparableConv1D` → {@link KerasSeparableConv1D}. */
export const separableConv1dPort: LayerPort = {
  build(config, ctx) {
    const r = read(config, 'SeparableConv1D');
    return new KerasSeparableConv1D({
      ...conv1dCommon(config, ctx, 'SeparableConv1D'),
      depthMultiplier: r.int('depth_multiplier', 1),
    });
  },
};
