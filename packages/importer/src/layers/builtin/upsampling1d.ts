import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register, singleShape } from './common.ts';

/**
 * Keras `UpSampling1D`: repeat each step `size` times along the steps axis, (B, T, F) → (B, T·size, F).
 * Drops the input mask (as Keras 3 does).
 */
export class KerasUpSampling1D extends tf.layers.Layer {
  static className = 'KerasUpSampling1D';
  readonly size: number;

  constructor(args: { size?: number; name?: string; trainable?: boolean }) {
    super(args as never);
    this.size = args.size ?? 2;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t, f] = singleShape(inputShape);
    return [b, t === null ? null : t * this.size, f];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, t, f] = x.shape as number[];
      return tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]), [b, t * this.size, f]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}
register(KerasUpSampling1D);

/** Keras `UpSampling1D` (Keras 1 `length`) → {@link KerasUpSampling1D}. */
export const upSampling1dPort: LayerPort = {
  build(config) {
    const r = read(config, 'UpSampling1D');
    return new KerasUpSampling1D({
      name: config.name,
      trainable: r.bool('trainable', true),
      size: r.has('size') ? r.int1('size') : r.int('length', 2),
    });
  },
};
