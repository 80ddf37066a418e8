import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { Activated } from './capabilities.ts';
import { type DenseActivation, denseProduct } from './dense-product.ts';
import type { LayerPort } from './port.ts';
import { activationLayerClass, tfjsLayerClass } from './tfjs-class.ts';

// Keras core layers whose TF.js counterparts already have Keras semantics; each port only maps the
// snake_case config onto TF.js arguments. Grouped in one file because each is a few lines.

const base = (c: { name: string }) => ({ name: c.name, trainable: false });
// Weights come from the file; zeros avoid the cost of random initialization.
const zeros = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;

type DenseArgs = Parameters<typeof tf.layers.dense>[0];
const linear = { getClassName: () => 'linear', apply: (x: tf.Tensor) => x };

/** The fields of TF.js' Dense its call reads. */
interface DenseFields {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

/**
 * TF.js' Dense, `Activated`. Its product with a linear or relu activation (the activations TF.js
 * fuses and can differentiate) runs on `denseProduct`: the same kernel and values as TF.js' own
 * call, with a cheaper gradient; other activations take TF.js' call.
 */
export class KerasDense extends tfjsLayerClass<DenseArgs>('Dense') implements Activated {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const own = this as unknown as DenseFields;
    const activation = own.activation.getClassName();
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const kernel = own.kernel.read();
    const bias = own.bias?.read() ?? null;
    if (
      (activation !== 'linear' && activation !== 'relu') ||
      (Array.isArray(inputs) && inputs.length !== 1) ||
      x.rank < 2 ||
      kernel.rank !== 2 ||
      (bias && bias.rank !== 1)
    )
      return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const lead = x.shape.slice(0, -1);
      const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
      const y = denseProduct(flat, kernel as tf.Tensor2D, bias, activation as DenseActivation);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, kernel.shape[1] as number]);
    });
  }

  callWithoutActivation(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor {
    // TF.js' own call with the identity for the activation, so that z is computed exactly as y is.
    const own = this as unknown as { activation: unknown };
    const activation = own.activation;
    own.activation = linear;
    try {
      const y = this.call(inputs, kwargs);
      return Array.isArray(y) ? y[0] : y;
    } finally {
      own.activation = activation;
    }
  }
}

const KerasActivation = activationLayerClass<Parameters<typeof tf.layers.activation>[0]>('Activation');

export const Dense: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Dense');
    return new KerasDense({
      ...base(c),
      ...zeros,
      units: r.int('units'),
      useBias: r.bool('use_bias', true),
      activation: ctx.activation(c.activation) as never,
    });
  },
};

export const Activation: LayerPort = {
  build: (c, ctx) => new KerasActivation({ ...base(c), activation: ctx.activation(c.activation) as never }),
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

type FlattenArgs = Parameters<typeof tf.layers.flatten>[0];

/**
 * TF.js' Flatten (serialized as it, `dataFormat` included) on any input rank, as Keras' (min_ndim 1):
 * rank 2 passes through (e.g. after global pooling), rank 1 becomes (batch, 1). TF.js' own wants
 * rank ≥ 3.
 */
class KerasFlatten extends tfjsLayerClass<FlattenArgs>('Flatten') {
  constructor(args: FlattenArgs) {
    super(args);
    this.inputSpec = [{ minNDim: 1 }];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    if (x.rank === 1) return tf.reshape(x, [x.shape[0], 1]);
    if (x.rank === 2) return tf.clone(x);
    return super.call(inputs, kwargs);
  }
}

export const Flatten: LayerPort = {
  build(c) {
    const channelsFirst = read(c, 'Flatten').dataFormat() === 'channels_first';
    return new KerasFlatten({ ...base(c), dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast' });
  },
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
