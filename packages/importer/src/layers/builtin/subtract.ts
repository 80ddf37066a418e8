import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register } from './common.ts';

/** AND of the non-null input masks, as Keras' merge layers compute their output mask. */
export function mergeMasks(mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const masks = (Array.isArray(mask) ? mask : [mask]).filter((m): m is tf.Tensor => m != null);
  if (masks.length === 0) return null as unknown as tf.Tensor;
  return tf.tidy(() => masks.map((m) => tf.cast(m, 'bool')).reduce((a, b) => tf.logicalAnd(a, b)));
}

/** Keras `Subtract`: `inputs[0] − inputs[1]` (broadcasting), output mask the AND of input masks. */
export class KerasSubtract extends tf.layers.Layer {
  static className = 'KerasSubtract';

  constructor(args: { name?: string; trainable?: boolean } = {}) {
    super(args as never);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) {
      fail(
        'INPUT_SHAPE',
        `Subtract '${this.name}' must be called on exactly 2 inputs; got ${JSON.stringify(inputShape)}.`,
      );
    }
    const [a, b] = shapes;
    const rank = Math.max(a.length, b.length);
    return Array.from({ length: rank }, (_, i) => {
      const x = a[a.length - rank + i] ?? 1;
      const y = b[b.length - rank + i] ?? 1;
      return x === 1 ? y : x;
    });
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return mergeMasks(mask);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = inputs as tf.Tensor[];
      return tf.sub(list[0], list[1]);
    });
  }
}
register(KerasSubtract);

/** Keras `Subtract` → {@link KerasSubtract}. */
export const subtractPort: LayerPort = {
  build: (config) =>
    new KerasSubtract({ name: config.name, trainable: read(config, 'Subtract').bool('trainable', true) }),
};
