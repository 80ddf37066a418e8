import * as tf from '@tensorflow/tfjs';
import { register } from './builtin/common.ts';
import { withoutGradient } from './layer-util.ts';

/**
 * Gives a tensor a Keras mask: called on `[x, mask]`, outputs `x` unchanged and `mask` (as bool) as
 * its mask, so that the next layer receives the mask the way TF.js passes masks. The builder puts
 * it before a layer that the file calls with an explicit `mask=` (Keras 3 writes every mask it
 * propagates that way, computed by op nodes such as `NotEqual`/`Any`); it is not a Keras layer and
 * not listed among the model's layers.
 */
export class KerasMaskAttach extends tf.layers.Layer {
  static className = 'KerasMaskAttach';

  constructor(args: { name: string }) {
    super({ name: args.name, trainable: false });
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.clone(x);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const mask = Array.isArray(inputs) ? inputs[1] : undefined;
    if (!mask || mask instanceof tf.SymbolicTensor) return null as never;
    return mask.dtype === 'bool' ? mask : withoutGradient([mask], () => tf.notEqual(mask, 0));
  }
}
register(KerasMaskAttach);
