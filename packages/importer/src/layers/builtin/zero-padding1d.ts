import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register, singleShape } from './common.ts';

/** Keras `ZeroPadding1D`: `padding[0]` zero steps before and `padding[1]` after. */
export class KerasZeroPadding1D extends tf.layers.Layer {
  static className = 'KerasZeroPadding1D';
  readonly padding: [number, number];

  constructor(args: { padding?: [number, number]; name?: string; trainable?: boolean }) {
    super(args as never);
    this.padding = args.padding ?? [1, 1];
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t, f] = singleShape(inputShape);
    return [b, t === null ? null : t + this.padding[0] + this.padding[1], f];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.pad(Array.isArray(inputs) ? inputs[0] : inputs, [[0, 0], this.padding, [0, 0]]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
register(KerasZeroPadding1D);

/** Keras `ZeroPadding1D` → {@link KerasZeroPadding1D}. */
export const zeroPadding1dPort: LayerPort = {
  build(config) {
    const r = read(config, 'ZeroPadding1D');
    return new KerasZeroPadding1D({
      name: config.name,
      trainable: r.bool('trainable', true),
      padding: r.pair('padding', [1, 1]),
    });
  },
};
