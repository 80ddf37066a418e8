import * as tf from '@tensorflow/tfjs';
import type { Activated } from './capabilities.ts';

/**
 * The TF.js layer class registered under `className` (TF.js exports factories, not most classes),
 * for a port to extend with a capability. Such subclasses are not registered themselves: serialized,
 * they are the TF.js class they extend.
 */
export function tfjsLayerClass<A>(className: string): new (args: A) => tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  return entry[0] as unknown as new (
    args: A,
  ) => tf.layers.Layer;
}

/**
 * A TF.js activation layer (Activation, Softmax, ReLU, …) that is {@link Activated}: the layer is its
 * activation, so the call without it is the identity.
 */
export function activationLayerClass<A>(className: string): new (args: A) => tf.layers.Layer & Activated {
  const Base = tfjsLayerClass<A>(className);
  return class extends Base implements Activated {
    callWithoutActivation(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return Array.isArray(inputs) ? inputs[0] : inputs;
    }
  };
}
