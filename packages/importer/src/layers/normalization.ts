import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';
import { read } from './config.ts';
import { singleShape } from './layer-util.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

export const BatchNormalization: LayerPort = {
  build(c) {
    const r = read(c, 'BatchNormalization');
    const axis = r.ints('axis', [-1]);
    if (axis.length !== 1) r.unsupported('axis', 'only one normalization axis is supported.');
    return tf.layers.batchNormalization({
      ...base(c),
      axis: axis[0],
      epsilon: r.num('epsilon', 1e-3),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    });
  },
};

/** Keras' built-in LayerNormalization (the CyberZHG one, recognised by its config, is separate). */
export const LayerNormalization: LayerPort = {
  build(c) {
    const r = read(c, 'LayerNormalization');
    const axis = r.ints('axis', [-1]);
    const epsilon = r.num('epsilon', 1e-3);
    if (r.has('rms_scaling') && r.bool('rms_scaling'))
      return new KerasScaleNormalization({ name: c.name, axis, epsilon, centered: true, weightName: 'gamma' });
    return tf.layers.layerNormalization({
      ...base(c),
      axis,
      epsilon,
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    });
  },
};

/** Keras 3 `RMSNormalization`: `x · rsqrt(mean(x²) + ε) · scale` over `axis` (ε default 1e-6). */
export const RMSNormalization: LayerPort = {
  build(c) {
    const r = read(c, 'RMSNormalization');
    return new KerasScaleNormalization({
      name: c.name,
      axis: r.ints('axis', [-1]),
      epsilon: r.num('epsilon', 1e-6),
      centered: false,
      weightName: 'scale',
    });
  },
};

interface ScaleNormalizationArgs {
  name: string;
  axis: number[];
  epsilon: number;
  /** `var(x)` (LayerNormalization's rms_scaling) instead of `mean(x²)` (RMSNormalization). */
  centered: boolean;
  /** `gamma` (LayerNormalization) or `scale` (RMSNormalization). */
  weightName: string;
}

/**
 * The two Keras 3 normalizations that only scale, with one weight (the sizes of `axis`) and no
 * offset: LayerNormalization with `rms_scaling=True` computes `x · rsqrt(var(x) + ε) · γ` — the
 * variance, not the mean square, as Keras itself warns since it deprecated the option — with γ laid
 * along `axis`; RMSNormalization computes `x · rsqrt(mean(x²) + ε) · scale`, the scale broadcast
 * against the trailing axes as Keras' `ops.rms_normalization` multiplies it.
 */
class KerasScaleNormalization extends tf.layers.Layer {
  static className = 'KerasScaleNormalization';
  private readonly args: ScaleNormalizationArgs;
  private weight!: tf.LayerVariable;
  constructor(args: ScaleNormalizationArgs) {
    super({ name: args.name, trainable: false });
    this.args = args;
    this.supportsMasking = true;
  }
  private axes(rank: number): number[] {
    return [...new Set(this.args.axis.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const dims = this.axes(shape.length).map((a) => shape[a]);
    if (dims.some((d) => typeof d !== 'number'))
      fail(
        'INPUT_SHAPE',
        `Layer '${this.name}' normalizes axes ${JSON.stringify(this.args.axis)} of ${JSON.stringify(shape)}, which must be known.`,
      );
    this.weight = this.addWeight(this.args.weightName, dims as number[], 'float32', tf.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const axes = this.axes(x.rank);
      const spread = this.args.centered ? tf.moments(x, axes, true).variance : tf.mean(tf.square(x), axes, true);
      let w = this.weight.read();
      if (this.args.centered && !(axes.length === 1 && axes[0] === x.rank - 1)) {
        const shape = x.shape.map((d, a) => (axes.includes(a) ? d : 1));
        w = tf.reshape(w, shape);
      }
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(spread, this.args.epsilon))), w);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    const { axis, epsilon, centered, weightName } = this.args;
    return { ...super.getConfig(), axis, epsilon, centered, weightName };
  }
}
tf.serialization.registerClass(KerasScaleNormalization);

/**
 * Keras `UnitNormalization`: `x / ‖x‖₂` over `axis` — Keras 3 as `x · rsqrt(max(Σx², 1e-24))`
 * (`ops.normalize` with ε = 1e-12, squared), tf.keras as `tf.math.l2_normalize` (`max(Σx², 1e-12)`).
 */
class KerasUnitNormalization extends tf.layers.Layer {
  static className = 'KerasUnitNormalization';
  private readonly axis: number[];
  private readonly floor: number;
  constructor(a: { name: string; axis: number[]; floor: number }) {
    super({ name: a.name, trainable: false });
    this.axis = a.axis;
    this.floor = a.floor;
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const axis = this.axis.map((a) => (a < 0 ? a + x.rank : a));
      return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), this.floor)));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, floor: this.floor };
  }
}
tf.serialization.registerClass(KerasUnitNormalization);

export const UnitNormalization: LayerPort = {
  build: (c, ctx) =>
    new KerasUnitNormalization({
      name: c.name,
      axis: read(c, 'UnitNormalization').ints('axis', [-1]),
      floor: ctx.kerasVersion.major >= 3 ? 1e-24 : 1e-12,
    }),
};
