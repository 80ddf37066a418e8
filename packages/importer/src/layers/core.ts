import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

// Keras core layers whose TF.js counterparts already have Keras semantics; each port only maps the
// snake_case config onto TF.js arguments. Grouped in one file because each is a few lines.

const base = (c: { name: string }) => ({ name: c.name, trainable: false });
// Weights come from the file; zeros avoid the cost of random initialization.
const zeros = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;

export const Dense: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Dense');
    return tf.layers.dense({
      ...base(c),
      ...zeros,
      units: r.int('units'),
      useBias: r.bool('use_bias', true),
      activation: ctx.activation(c.activation) as never,
    });
  },
};

export const Activation: LayerPort = {
  build: (c, ctx) => tf.layers.activation({ ...base(c), activation: ctx.activation(c.activation) as never }),
};

/** Inference-time identity layers (dropout and noise are off when predicting). */
const identityDropout: LayerPort = {
  build: (c) => tf.layers.dropout({ ...base(c), rate: 0 }),
};
export const Dropout = identityDropout;
export const SpatialDropout1D = identityDropout;
export const GaussianNoise = identityDropout;
export const GaussianDropout = identityDropout;
export const AlphaDropout = identityDropout;
export const ActivityRegularization = identityDropout;

/** Keras `Identity`: its input, unchanged (masks pass through). */
class KerasIdentity extends tf.layers.Layer {
  static className = 'KerasIdentity';
  constructor(a: { name: string }) {
    super({ name: a.name, trainable: false });
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return Array.isArray(inputs) ? inputs.map((t) => tf.clone(t)) : tf.clone(inputs);
  }
}
tf.serialization.registerClass(KerasIdentity);

export const Identity: LayerPort = {
  build: (c) => new KerasIdentity({ name: c.name }),
};

export const Flatten: LayerPort = {
  build: (c) => tf.layers.flatten({ ...base(c) }),
};

export const Reshape: LayerPort = {
  build: (c) => tf.layers.reshape({ ...base(c), targetShape: read(c, 'Reshape').ints('target_shape') }),
};

export const Permute: LayerPort = {
  build: (c) => tf.layers.permute({ ...base(c), dims: read(c, 'Permute').ints('dims') }),
};

export const RepeatVector: LayerPort = {
  build: (c) => tf.layers.repeatVector({ ...base(c), n: read(c, 'RepeatVector').int('n') }),
};

export const Embedding: LayerPort = {
  build(c) {
    const r = read(c, 'Embedding');
    return tf.layers.embedding({
      ...base(c),
      inputDim: r.int('input_dim'),
      outputDim: r.int('output_dim'),
      maskZero: r.bool('mask_zero', false),
    });
  },
};
