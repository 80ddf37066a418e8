import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register, singleShape } from './common.ts';

/** Keras `Cropping1D`: drop `cropping[0]` steps at the start and `cropping[1]` at the end. */
export class KerasCropping1D extends tf.layers.Layer {
  static className = 'KerasCropping1D';
  readonly cropping: [number, number];

  constructor(args: { cropping?: [number, number]; name?: string; trainable?: boolean }) {
    super(args as never);
    this.cropping = args.cropping ?? [1, 1];
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t, f] = singleShape(inputShape);
    return [b, t === null ? null : t - this.cropping[0] - this.cropping[1], f];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const t = x.shape[1] as number;
      return tf.slice(x, [0, this.cropping[0], 0], [-1, t - this.cropping[0] - this.cropping[1], -1]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), cropping: this.cropping };
  }
}
register(KerasCropping1D);

/** Keras `Cropping1D` → {@link KerasCropping1D}. */
export const cropping1dPort: LayerPort = {
  build(config) {
    const r = read(config, 'Cropping1D');
    return new KerasCropping1D({
      name: config.name,
      trainable: r.bool('trainable', true),
      cropping: r.pair('cropping', [1, 1]),
    });
  },
};
