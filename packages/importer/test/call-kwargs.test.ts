import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type KerasModel, loadModel, modelFromConfig, predict, toKerasH5 } from '../src/index.ts';

// tf.keras ≥ 2.13 serializes every call argument after the first as a keyword (engine/node.py
// `serialize`: `arguments = dict(zip(arg_names[1:], args))`), so `mha(q, v)` and `mha(q, value=v)`
// both become `[["q", 0, 0, {"value": ["v", 0, 0]}]]`; tensors inside the kwargs are `[layer,
// node, tensor]` lists. These graphs are written as tf.keras 2.15 writes them, saved with
// Keraspect's own h5 writer and read back.

const input = (name: string, shape: number[]) => ({
  class_name: 'InputLayer',
  name,
  config: { name, batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false },
  inbound_nodes: [],
});

const mha = (name: string, inbound: unknown[]) => ({
  class_name: 'MultiHeadAttention',
  name,
  config: {
    name,
    trainable: true,
    dtype: 'float32',
    num_heads: 2,
    key_dim: 2,
    value_dim: 2,
    dropout: 0,
    use_bias: true,
    output_shape: null,
    attention_axes: [1],
    kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    query_shape: null,
    key_shape: null,
    value_shape: null,
  },
  inbound_nodes: [inbound],
});

const model = (layers: unknown[], inputs: string[], outputs: [string, number][]) => ({
  class_name: 'Functional',
  config: {
    name: 'model',
    layers,
    input_layers: inputs.map((n) => [n, 0, 0]),
    output_layers: outputs.map(([n, t]) => [n, 0, t]),
  },
  keras_version: '2.15.0',
  backend: 'tensorflow',
});

function randomize(km: KerasModel): KerasModel {
  let s = 11;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 1.5;
  };
  for (const l of km.model.layers)
    if (l.weights.length)
      l.setWeights(
        l.weights.map((w) => {
          const shape = w.shape as number[];
          return tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, next), shape);
        }),
      );
  return km;
}

async function saved(config: unknown): Promise<KerasModel> {
  const built = randomize(await modelFromConfig(config as never, { kerasVersion: '2.15.0' }));
  try {
    return await loadModel(await toKerasH5(built));
  } finally {
    built.dispose();
  }
}

const series = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 0.7 * i));

describe('call keyword arguments (tf.keras 2.13+ inbound nodes)', () => {
  it('MultiHeadAttention with value as a keyword: the value tensor is the one named, not the query', async () => {
    // q: 4 steps, v: 5 steps — wiring value to the query would change the output (or fail).
    const config = model(
      [input('q', [4, 3]), input('v', [5, 3]), mha('mha', [['q', 0, 0, { value: ['v', 0, 0] }]])],
      ['q', 'v'],
      [['mha', 0]],
    );
    const km = await saved(config);
    try {
      const q = { data: series(2 * 4 * 3, 1), shape: [2, 4, 3] };
      const v = { data: series(2 * 5 * 3, 2), shape: [2, 5, 3] };
      const [y] = predict(km, [q, v]);
      expect(y.shape).toEqual([2, 4, 3]);
      const layer = km.layer('mha');
      const want = tf.tidy(() => {
        const out = layer.apply([tf.tensor(q.data, q.shape), tf.tensor(v.data, v.shape)]) as tf.Tensor;
        return Array.from(out.dataSync());
      });
      const got = Array.from(y.data);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    } finally {
      km.dispose();
    }
  });

  it('self-attention mha(x, x) with key, attention_mask and return_attention_scores as keywords', async () => {
    const config = model(
      [
        input('x', [4, 3]),
        input('m', [4, 4]),
        mha('mha', [
          [
            'x',
            0,
            0,
            { value: ['x', 0, 0], key: ['x', 0, 0], attention_mask: ['m', 0, 0], return_attention_scores: true },
          ],
        ]),
      ],
      ['x', 'm'],
      [
        ['mha', 0],
        ['mha', 1],
      ],
    );
    const km = await saved(config);
    try {
      const x = { data: series(2 * 4 * 3, 3), shape: [2, 4, 3] };
      // Causal mask: query step i sees key steps ≤ i.
      const m = {
        data: Float32Array.from({ length: 2 * 16 }, (_, k) => (k % 4 <= (k >> 2) % 4 ? 1 : 0)),
        shape: [2, 4, 4],
      };
      const [y, scores] = predict(km, [x, m]);
      expect(y.shape).toEqual([2, 4, 3]);
      expect(scores.shape).toEqual([2, 2, 4, 4]);
      // The mask is honoured: no weight on a later step, and each row sums to 1.
      for (let b = 0; b < 2; b++)
        for (let h = 0; h < 2; h++)
          for (let i = 0; i < 4; i++) {
            let sum = 0;
            for (let j = 0; j < 4; j++) {
              const w = scores.data[((b * 2 + h) * 4 + i) * 4 + j];
              if (j > i) expect(w).toBe(0);
              sum += w;
            }
            expect(sum).toBeCloseTo(1, 5);
          }
    } finally {
      km.dispose();
    }
  });
});

const lstm = (name: string, extra: Record<string, unknown>, inbound: unknown[]) => ({
  class_name: 'LSTM',
  name,
  config: {
    name,
    trainable: true,
    dtype: 'float32',
    units: 3,
    activation: 'tanh',
    recurrent_activation: 'sigmoid',
    use_bias: true,
    return_sequences: false,
    return_state: false,
    go_backwards: false,
    stateful: false,
    unroll: false,
    dropout: 0,
    recurrent_dropout: 0,
    ...extra,
  },
  inbound_nodes: [inbound],
});

describe('initial_state as a call keyword (seq2seq encoder → decoder)', () => {
  /** The decoder's output by hand: the same LSTM layer run eagerly from the encoder's states. */
  function expectDecoderFromStates(km: KerasModel, enc: { data: Float32Array; shape: number[] }, dec: typeof enc) {
    const [y] = predict(km, [enc, dec]);
    const want = tf.tidy(() => {
      const [, h, c] = km.layer('encoder').apply(tf.tensor(enc.data, enc.shape)) as tf.Tensor[];
      const out = km.layer('decoder').apply(tf.tensor(dec.data, dec.shape), { initialState: [h, c] }) as tf.Tensor;
      const zero = km.layer('decoder').apply(tf.tensor(dec.data, dec.shape)) as tf.Tensor;
      return { out: Array.from(out.dataSync()), zero: Array.from(zero.dataSync()) };
    });
    const got = Array.from(y.data);
    for (let i = 0; i < want.out.length; i++) expect(got[i]).toBeCloseTo(want.out[i], 5);
    // The states matter: from zero states the decoder says something else.
    expect(want.out.some((v, i) => Math.abs(v - want.zero[i]) > 1e-3)).toBe(true);
  }

  const enc = { data: series(2 * 5 * 2, 4), shape: [2, 5, 2] };
  const dec = { data: series(2 * 4 * 2, 5), shape: [2, 4, 2] };

  it('tf.keras: [["dec_in", 0, 0, {"initial_state": [["encoder", 0, 1], ["encoder", 0, 2]]}]]', async () => {
    const config = model(
      [
        input('enc_in', [5, 2]),
        input('dec_in', [4, 2]),
        lstm('encoder', { return_state: true }, [['enc_in', 0, 0, {}]]),
        lstm('decoder', { return_sequences: true }, [
          [
            'dec_in',
            0,
            0,
            {
              initial_state: [
                ['encoder', 0, 1],
                ['encoder', 0, 2],
              ],
            },
          ],
        ]),
      ],
      ['enc_in', 'dec_in'],
      [['decoder', 0]],
    );
    const km = await saved(config);
    try {
      expectDecoderFromStates(km, enc, dec);
    } finally {
      km.dispose();
    }
  });

  it('Keras 3: {"args": [dec_in], "kwargs": {"initial_state": [h, c]}}', async () => {
    const kt = (layer: string, tensor: number) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, tensor] },
    });
    const k3 = (entry: ReturnType<typeof lstm> | ReturnType<typeof input>, args: unknown[], kwargs = {}) => ({
      module: 'keras.layers',
      registered_name: null,
      ...entry,
      config:
        entry.class_name === 'InputLayer'
          ? { name: entry.name, batch_shape: (entry.config as { batch_input_shape: unknown }).batch_input_shape }
          : entry.config,
      inbound_nodes: entry.class_name === 'InputLayer' ? [] : [{ args, kwargs }],
    });
    const config = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'seq2seq',
        trainable: true,
        layers: [
          k3(input('enc_in', [5, 2]), []),
          k3(input('dec_in', [4, 2]), []),
          k3(lstm('encoder', { return_state: true }, []), [kt('enc_in', 0)]),
          k3(lstm('decoder', { return_sequences: true }, []), [kt('dec_in', 0)], {
            initial_state: [kt('encoder', 1), kt('encoder', 2)],
            training: false,
          }),
        ],
        input_layers: [
          ['enc_in', 0, 0],
          ['dec_in', 0, 0],
        ],
        output_layers: [['decoder', 0, 0]],
      },
    };
    const built = randomize(await modelFromConfig(config as never, { kerasVersion: '3.9.2' }));
    const km = await loadModel(await toKerasH5(built));
    built.dispose();
    try {
      expectDecoderFromStates(km, enc, dec);
    } finally {
      km.dispose();
    }
  });
});

describe('initial_state for GRU (tf.keras seq2seq with a GRU)', () => {
  it('the decoder GRU starts from the encoder GRU state', async () => {
    const gru = (name: string, extra: Record<string, unknown>, inbound: unknown[]) => {
      const l = lstm(name, { reset_after: true, ...extra }, inbound);
      return { ...l, class_name: 'GRU' };
    };
    const config = model(
      [
        input('enc_in', [5, 2]),
        input('dec_in', [4, 2]),
        gru('encoder', { return_state: true }, [['enc_in', 0, 0, {}]]),
        gru('decoder', { return_sequences: true }, [['dec_in', 0, 0, { initial_state: [['encoder', 0, 1]] }]]),
      ],
      ['enc_in', 'dec_in'],
      [['decoder', 0]],
    );
    // Built from the config (GRU weights are stored in a layout the writer does not convert back).
    const km = randomize(await modelFromConfig(config as never, { kerasVersion: '2.15.0' }));
    try {
      const enc = { data: series(2 * 5 * 2, 6), shape: [2, 5, 2] };
      const dec = { data: series(2 * 4 * 2, 7), shape: [2, 4, 2] };
      const [y] = predict(km, [enc, dec]);
      const want = tf.tidy(() => {
        const [, h] = km.layer('encoder').apply(tf.tensor(enc.data, enc.shape)) as tf.Tensor[];
        const out = km.layer('decoder').apply(tf.tensor(dec.data, dec.shape), { initialState: [h] }) as tf.Tensor;
        const zero = km.layer('decoder').apply(tf.tensor(dec.data, dec.shape)) as tf.Tensor;
        return { out: Array.from(out.dataSync()), zero: Array.from(zero.dataSync()) };
      });
      const got = Array.from(y.data);
      for (let i = 0; i < want.out.length; i++) expect(got[i]).toBeCloseTo(want.out[i], 5);
      expect(want.out.some((v, i) => Math.abs(v - want.zero[i]) > 1e-3)).toBe(true);
    } finally {
      km.dispose();
    }
  });
});
