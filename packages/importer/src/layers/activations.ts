import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';
import type { KerasVersion } from './port.ts';

/**
 * Activations TF.js lacks or defines differently from Keras, registered as TF.js activation classes
 * so that built-in layers (LSTM, Dense, …) can use them by identifier and TF.js exports stay loadable
 * once this module is imported.
 */
const extra: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  // Keras 3: clip(x/6 + 0.5, 0, 1). Keras 1/2 used clip(0.2x + 0.5), which is TF.js' hardSigmoid.
  keras3HardSigmoid: (x) => tf.tidy(() => tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1)),
  hardSilu: (x) => tf.tidy(() => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  exponential: (x) => tf.exp(x),
  kerasGelu: (x) => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))),
  kerasGeluApprox: (x) =>
    tf.tidy(() => {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }),
  kerasLeakyRelu: (x) => tf.leakyRelu(x, 0.2),
  kerasLogSoftmax: (x) => tf.logSoftmax(x),
  kerasSilu: (x) => tf.tidy(() => tf.mul(x, tf.sigmoid(x))),
  kerasSoftmaxLastAxis: (x) => tf.softmax(x),
};

for (const [className, fn] of Object.entries(extra)) {
  class ExtraActivation extends tf.serialization.Serializable {
    static className = className;
    override getClassName(): string {
      return className;
    }
    apply(x: tf.Tensor): tf.Tensor {
      return fn(x);
    }
    getConfig(): tf.serialization.ConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(ExtraActivation);
}

/** Keras activation names → TF.js identifiers whose math is the same in every Keras version. */
const SAME: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  elu: 'elu',
  selu: 'selu',
  swish: 'swish',
  silu: 'kerasSilu',
  mish: 'mish',
  exponential: 'exponential',
  gelu: 'kerasGelu',
  hard_silu: 'hardSilu',
  hard_swish: 'hardSilu',
  leaky_relu: 'kerasLeakyRelu',
  log_softmax: 'kerasLogSoftmax',
};

/** Every Keras activation name this importer understands. */
export const KERAS_ACTIVATIONS = [...Object.keys(SAME), 'hard_sigmoid'].sort();

/**
 * Map a Keras activation as written in a config to the TF.js activation identifier with the same
 * math for the Keras version that wrote the file. `hard_sigmoid` changed in Keras 3.
 */
export function activationFor(keras: unknown, version: KerasVersion, where = 'activation'): string {
  let name: unknown = keras;
  if (keras === null || keras === undefined) return 'linear';
  if (typeof keras === 'object') {
    const obj = keras as { class_name?: unknown; config?: Record<string, unknown> };
    name = obj.class_name;
    if (name === 'gelu' && obj.config?.approximate) return 'kerasGeluApprox';
  }
  if (typeof name !== 'string') {
    fail(
      'UNSUPPORTED_CONFIG',
      `${where}: activation ${JSON.stringify(keras)} is not a name. Use one of: ${KERAS_ACTIVATIONS.join(', ')}.`,
    );
  }
  if (name === 'hard_sigmoid') return version.major >= 3 ? 'keras3HardSigmoid' : 'hardSigmoid';
  // Own keys only: 'constructor' or '__proto__' must not find Object.prototype's members.
  const mapped = Object.hasOwn(SAME, name) ? SAME[name] : undefined;
  if (!mapped) {
    fail(
      'UNSUPPORTED_CONFIG',
      `${where}: activation '${name}' is not supported. Supported: ${KERAS_ACTIVATIONS.join(', ')}. ` +
        'For a custom activation, register a layer with registerLayer() that applies it.',
    );
  }
  return mapped;
}

/** Apply a TF.js activation identifier returned by `activationFor` to a tensor. */
export function applyActivation(identifier: string, x: tf.Tensor): tf.Tensor {
  const fn = extra[identifier];
  if (fn) return fn(x);
  return tf.layers.activation({ activation: identifier as never }).apply(x) as tf.Tensor;
}
