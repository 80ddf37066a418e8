import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { Activated } from './capabilities.ts';
import type { LayerPort } from './port.ts';
import { activationLayerClass } from './tfjs-class.ts';

// Keras activation layers. Grouped in one file because each is a few lines. Each is TF.js' class
// (or KerasReLU below) made `Activated`: the activation-free call of an activation layer is the identity.

const KerasLeakyReLU = activationLayerClass<Parameters<typeof tf.layers.leakyReLU>[0]>('LeakyReLU');
const KerasELU = activationLayerClass<Parameters<typeof tf.layers.elu>[0]>('ELU');
const KerasThresholdedReLU = activationLayerClass<Parameters<typeof tf.layers.thresholdedReLU>[0]>('ThresholdedReLU');
const KerasSoftmax = activationLayerClass<Parameters<typeof tf.layers.softmax>[0]>('Softmax');
const TfjsReLU = activationLayerClass<Parameters<typeof tf.layers.reLU>[0]>('ReLU');

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

export const LeakyReLU: LayerPort = {
  build(c) {
    const r = read(c, 'LeakyReLU');
    // Keras 3 renamed `alpha` to `negative_slope`; both default to 0.3.
    const alpha = r.has('negative_slope') ? r.num('negative_slope') : r.num('alpha', 0.3);
    return new KerasLeakyReLU({ ...base(c), alpha });
  },
};

export const ELU: LayerPort = {
  build: (c) => new KerasELU({ ...base(c), alpha: read(c, 'ELU').num('alpha', 1) }),
};

export const ThresholdedReLU: LayerPort = {
  build: (c) => new KerasThresholdedReLU({ ...base(c), theta: read(c, 'ThresholdedReLU').num('theta', 1) }),
};

export const Softmax: LayerPort = {
  build(c) {
    const r = read(c, 'Softmax');
    const axis = r.ints('axis', [-1]);
    if (axis.length !== 1) r.unsupported('axis', 'only a single softmax axis is supported.');
    return new KerasSoftmax({ ...base(c), axis: axis[0] });
  },
};

export const PReLU: LayerPort = {
  build(c) {
    const r = read(c, 'PReLU');
    return tf.layers.prelu({ ...base(c), sharedAxes: r.has('shared_axes') ? r.ints('shared_axes') : undefined });
  },
};

/** Keras ReLU: `max_value`, `negative_slope` and `threshold` (TF.js' ReLU only has maxValue). */
export const ReLU: LayerPort = {
  build(c) {
    const r = read(c, 'ReLU');
    const maxValue = r.has('max_value') ? r.num('max_value') : null;
    const slope = r.num('negative_slope', 0);
    const threshold = r.num('threshold', 0);
    if (slope === 0 && threshold === 0) return new TfjsReLU({ ...base(c), maxValue: maxValue ?? undefined });
    return new KerasReLU({ ...base(c), maxValue, negativeSlope: slope, threshold });
  },
};

interface KerasReLUArgs {
  name?: string;
  trainable?: boolean;
  maxValue: number | null;
  negativeSlope: number;
  threshold: number;
}

/** ReLU with Keras' full options: x ≥ threshold ? min(x, max) : slope·(x − threshold). */
class KerasReLU extends tf.layers.Layer implements Activated {
  static className = 'KerasReLU';
  private readonly opts: KerasReLUArgs;
  constructor(args: KerasReLUArgs) {
    super(args);
    this.opts = { maxValue: args.maxValue, negativeSlope: args.negativeSlope, threshold: args.threshold };
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { maxValue, negativeSlope, threshold } = this.opts;
      const pos = maxValue === null ? x : tf.minimum(x, maxValue);
      const neg = tf.mul(tf.sub(x, threshold), negativeSlope);
      return tf.where(tf.greaterEqual(x, threshold), pos, neg);
    });
  }
  callWithoutActivation(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? inputs[0] : inputs;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      maxValue: this.opts.maxValue,
      negativeSlope: this.opts.negativeSlope,
      threshold: this.opts.threshold,
    };
  }
}
tf.serialization.registerClass(KerasReLU);
