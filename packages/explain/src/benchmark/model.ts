import * as tf from '@tensorflow/tfjs';
import { type KerasModel, modelFromConfig, type NdArray, predict } from '@keraspect/importer';
import { seededRng } from '../rng.ts';

/** Options of {@link boxModel} and {@link trainBoxModel}. */
export interface BoxModelOptions {
  /** LSTM units (SeqSelfAttention uses the same). Default 8. */
  units?: number;
  /** Seed of the initial weights and of the shuffling. Default 0. */
  seed?: number;
}

/** Options of {@link trainBoxModel}. */
export interface TrainOptions extends BoxModelOptions {
  /** Epochs at most. Default 20. */
  epochs?: number;
  /** Stop after this many milliseconds (checked between epochs). Default 10 000. */
  timeBudgetMs?: number;
  /** Stop once training accuracy reaches this. Default 0.99. */
  targetAccuracy?: number;
  /** Mini-batch size. Default 32. */
  batchSize?: number;
  /** Adam learning rate. Default 0.01. */
  learningRate?: number;
}

const layer = (class_name: string, name: string, config: Record<string, unknown>, inbound: string[]) => ({
  class_name,
  name,
  config: { name, trainable: true, ...config },
  inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
});

/**
 * The Keras 2 config of the benchmark classifier: Input(T, F) → LSTM(units, return_sequences) →
 * SeqSelfAttention → Concatenate(LSTM, attention) → Flatten → Dense(2, softmax).
 */
export function boxModelConfig(steps: number, features: number, units = 8): unknown {
  return {
    class_name: 'Model',
    config: {
      name: 'box_classifier',
      layers: [
        {
          class_name: 'InputLayer',
          name: 'series',
          config: { name: 'series', batch_input_shape: [null, steps, features], dtype: 'float32', sparse: false },
          inbound_nodes: [],
        },
        layer(
          'LSTM',
          'lstm',
          { units, return_sequences: true, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
          ['series'],
        ),
        layer(
          'SeqSelfAttention',
          'attention',
          {
            units,
            attention_type: 'additive',
            attention_width: null,
            history_only: false,
            return_attention: false,
            use_additive_bias: true,
            use_attention_bias: true,
            attention_activation: 'linear',
            attention_regularizer_weight: 0,
          },
          ['lstm'],
        ),
        layer('Concatenate', 'concat', { axis: -1 }, ['lstm', 'attention']),
        layer('Flatten', 'flatten', {}, ['concat']),
        layer('Dense', 'class', { units: 2, activation: 'softmax', use_bias: true }, ['flatten']),
      ],
      input_layers: [['series', 0, 0]],
      output_layers: [['class', 0, 0]],
    },
  };
}

/** Build the benchmark classifier with seeded uniform (Glorot-like) weights and zero biases. */
export async function boxModel(steps: number, features: number, options: BoxModelOptions = {}): Promise<KerasModel> {
  const { units = 8, seed = 0 } = options;
  const km = await modelFromConfig(boxModelConfig(steps, features, units) as never, { kerasVersion: '2.3.1' });
  const rng = seededRng(seed);
  for (const v of km.model.weights) {
    const shape = v.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const limit = shape.length > 1 ? Math.sqrt(6 / (shape[0] + shape[shape.length - 1])) : 0;
    const t = tf.tensor(
      Float32Array.from({ length: size }, () => (rng.uniform() * 2 - 1) * limit),
      shape,
    );
    v.write(t);
    t.dispose();
  }
  return km;
}

/** How training went. */
export interface TrainReport {
  epochs: number;
  ms: number;
  loss: number;
  trainAccuracy: number;
}

/**
 * Train the benchmark classifier on `(x, labels)` with Adam and cross-entropy, in TF.js, until the
 * target accuracy, the epoch limit or the time budget. Seeded (initial weights, batch order), but
 * TF.js kernels may differ in the last bits between backends, so only metrics should be compared.
 */
export async function trainBoxModel(
  x: NdArray,
  labels: Int32Array,
  options: TrainOptions = {},
): Promise<{ km: KerasModel; report: TrainReport }> {
  const {
    epochs = 20,
    timeBudgetMs = 10_000,
    targetAccuracy = 0.99,
    batchSize = 32,
    learningRate = 0.01,
    seed = 0,
  } = options;
  const [N, T, F] = x.shape;
  const km = await boxModel(T, F, options);
  for (const l of km.model.layers) l.trainable = true;
  const optimizer = tf.train.adam(learningRate);
  km.model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const rng = seededRng(seed + 1);
  const per = T * F;
  const started = Date.now();
  let epoch = 0;
  let loss = Number.NaN;
  let acc = 0;
  while (epoch < epochs && Date.now() - started < timeBudgetMs) {
    const order = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let sum = 0;
    for (let s = 0; s < N; s += batchSize) {
      const rows = order.slice(s, s + batchSize);
      const xb = new Float32Array(rows.length * per);
      const yb = new Float32Array(rows.length * 2);
      rows.forEach((r, i) => {
        xb.set(x.data.subarray(r * per, (r + 1) * per), i * per);
        yb[i * 2 + labels[r]] = 1;
      });
      const xt = tf.tensor3d(xb, [rows.length, T, F]);
      const yt = tf.tensor2d(yb, [rows.length, 2]);
      const l = (await km.model.trainOnBatch(xt, yt)) as number;
      sum += l * rows.length;
      tf.dispose([xt, yt]);
    }
    loss = sum / N;
    epoch++;
    acc = classificationAccuracy(km, x, labels);
    if (acc >= targetAccuracy) break;
  }
  optimizer.dispose();
  return { km, report: { epochs: epoch, ms: Date.now() - started, loss, trainAccuracy: acc } };
}

/** Fraction of samples whose argmax class equals the label (batched forward passes). */
export function classificationAccuracy(km: KerasModel, x: NdArray, labels: Int32Array, batchSize = 256): number {
  const [N] = x.shape;
  const per = x.data.length / N;
  let right = 0;
  for (let s = 0; s < N; s += batchSize) {
    const n = Math.min(batchSize, N - s);
    const [y] = predict(km, {
      data: x.data.subarray(s * per, (s + n) * per) as Float32Array,
      shape: [n, ...x.shape.slice(1)],
    });
    const k = y.data.length / n;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (y.data[i * k + j] > y.data[i * k + best]) best = j;
      if (best === labels[s + i]) right++;
    }
  }
  return right / N;
}
