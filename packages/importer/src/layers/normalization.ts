import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
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
    if (r.has('rms_scaling') && r.bool('rms_scaling'))
      r.unsupported('rms_scaling', 'RMS scaling is not implemented; use rms_scaling=False.');
    return tf.layers.layerNormalization({
      ...base(c),
      axis: r.ints('axis', [-1]),
      epsilon: r.num('epsilon', 1e-3),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    });
  },
};

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
