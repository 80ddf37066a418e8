import * as tf from '@tensorflow/tfjs';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { withoutGradient } from '../layer-util.ts';
import { register } from './common.ts';

/**
 * Keras `Masking`: steps whose features all equal `mask_value` are masked (the mask goes to the
 * layers that take one) and zeroed. The mask is a constant for gradients, as in TensorFlow, whose
 * `not_equal` and `any` have no gradient; TF.js' own Masking layer fails there ("gradient function
 * not found for Any"), so every gradient method failed on masked models.
 */
export class KerasMasking extends tf.layers.Layer {
  static className = 'KerasMasking';
  readonly maskValue: number;

  constructor(args: { name: string; maskValue: number }) {
    super({ name: args.name, trainable: false });
    this.maskValue = args.maskValue;
    this.supportsMasking = true;
  }

  /** Steps kept (bool (batch, steps)); a constant for gradients. */
  private keep(x: tf.Tensor): tf.Tensor {
    return withoutGradient([x], () => tf.any(tf.notEqual(x, this.maskValue), -1));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.mul(x, tf.cast(tf.expandDims(this.keep(x), -1), x.dtype)));
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x instanceof tf.SymbolicTensor) return null as never;
    return tf.tidy(() => this.keep(x));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
register(KerasMasking);

/** Keras `Masking` → {@link KerasMasking}. */
export const maskingPort: LayerPort = {
  build: (c) => new KerasMasking({ name: c.name, maskValue: read(c, 'Masking').num('mask_value', 0) }),
};
