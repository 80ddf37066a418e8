import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type KerasModel, loadModel, modelFromConfig, predict, toKerasH5 } from '../src/index.ts';

// Keras 3 functional graphs as Keras 3 writes them (keras/src/models/functional.py): layers and
// `keras.src.ops` operations side by side, call arguments in {args, kwargs}, and the masks Keras
// propagates written as op nodes (NotEqual, Any) passed on as `mask=` call keywords. Models are
// written with Keraspect's own h5 writer and read back.

const kt = (layer: string, shape: (number | null)[] = []) => ({
  class_name: '__keras_tensor__',
  config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] },
});

interface Entry {
  module: string;
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
  name: string;
  inbound_nodes: unknown[];
}

const layer = (
  class_name: string,
  name: string,
  config: Record<string, unknown>,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
): Entry => ({
  module: 'keras.layers',
  class_name,
  config: { name, trainable: true, dtype: 'float32', ...config },
  registered_name: null,
  name,
  inbound_nodes: [{ args, kwargs }],
});

const op = (
  module: string,
  class_name: string,
  name: string,
  config: Record<string, unknown>,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
): Entry => ({
  module: `keras.src.ops.${module}`,
  class_name,
  config: { name, ...config },
  registered_name: class_name,
  name,
  inbound_nodes: [{ args, kwargs }],
});

const input = (name: string, shape: (number | null)[], dtype = 'float32'): Entry => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { name, batch_shape: [null, ...shape], dtype, sparse: false },
  registered_name: null,
  name,
  inbound_nodes: [],
});

const functional = (layers: Entry[], inputs: string[], outputs: string[]) => ({
  module: 'keras.src.models.functional',
  class_name: 'Functional',
  config: {
    name: 'functional',
    trainable: true,
    layers,
    input_layers: inputs.map((n) => [n, 0, 0]),
    output_layers: outputs.map((n) => [n, 0, 0]),
  },
});

/** Seeded random weights for every layer (recurrent layers are built with zeros). */
function randomize(km: KerasModel, seed = 7): KerasModel {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 1.2;
  };
  for (const l of km.model.layers) {
    if (!l.weights.length) continue;
    l.setWeights(
      l.weights.map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.shape.reduce((a: number, d) => a * (d ?? 1), 1) }, next),
          w.shape as number[],
        ),
      ),
    );
  }
  return km;
}

/** Build with random weights, write with our h5 writer (as Keras 3.9), read back. */
async function roundTrip(config: unknown): Promise<{ km: KerasModel; built: KerasModel }> {
  const built = randomize(await modelFromConfig(config as never, { kerasVersion: '3.9.2' }));
  const km = await loadModel(await toKerasH5(built));
  return { km, built };
}

const seq = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 1.3 * i));

describe('Keras 3 op nodes in a functional graph', () => {
  it('tells an Add operation (x + 1.0) from the Add merge layer by its module', async () => {
    const config = functional(
      [
        input('x', [3]),
        op('numpy', 'Add', 'add', {}, [kt('x'), 1.0]),
        op('numpy', 'Multiply', 'multiply', {}, [kt('add'), kt('add')]),
        layer('Add', 'add_1', {}, [[kt('multiply'), kt('x')]]),
        op('numpy', 'Sum', 'sum', { axis: -1, keepdims: true }, [kt('add_1')]),
      ],
      ['x'],
      ['sum'],
    );
    const { km, built } = await roundTrip(config);
    const x = [0.5, -2, 3];
    const [y] = predict(km, { data: Float32Array.from(x), shape: [1, 3] });
    // Σ ((x + 1)² + x)
    expect(y.data[0]).toBeCloseTo(
      x.reduce((s, v) => s + (v + 1) ** 2 + v, 0),
      5,
    );
    expect(km.summary().map((r) => r.className)).toEqual(['InputLayer', 'Add', 'Multiply', 'Add', 'Sum']);
    km.dispose();
    built.dispose();
  });

  it('an operation Keraspect lacks fails naming the operation, the layer and how to supply it', async () => {
    const config = functional([input('x', [3]), op('numpy', 'Kron', 'kron', {}, [kt('x'), kt('x')])], ['x'], ['kron']);
    await expect(modelFromConfig(config as never)).rejects.toThrow(
      /Layer 'kron' \(keras\.src\.ops\.numpy\.Kron\) calls the Keras operation keras\.ops\.numpy\.Kron, which Keraspect does not implement\. Supply it by layer name: loadModel\(bytes, \{ lambdas: \{ "kron": \(inputs, args, tf\) => … \} \}\), or with the CLI a --plugin module exporting `lambdas = \{ "kron": \(inputs, args, tf\) => … \}`/,
    );
  });

  it('a user function supplied by layer name stands in for an operation', async () => {
    const config = functional([input('x', [3]), op('numpy', 'Kron', 'kron', {}, [kt('x'), kt('x')])], ['x'], ['kron']);
    const km = await modelFromConfig(config as never, {
      lambdas: { kron: (ins, _args, tfjs) => tfjs.mul((ins as tf.Tensor[])[0], (ins as tf.Tensor[])[1]) },
    });
    expect(Array.from(predict(km, { data: Float32Array.of(1, 2, 3), shape: [1, 3] })[0].data)).toEqual([1, 4, 9]);
    km.dispose();
  });
});

/** Input(T, F) → Masking → LSTM(mask=any(not_equal(x, 0), -1)) [→ more] as Keras 3 writes it. */
function maskedLstm(T: number, F: number, units: number, returnSequences: boolean, after: Entry[] = []) {
  return functional(
    [
      input('x', [T, F]),
      layer('Masking', 'masking', { mask_value: 0 }, [kt('x')]),
      op('numpy', 'NotEqual', 'not_equal', {}, [kt('x'), 0]),
      op('numpy', 'Any', 'any', { axis: -1, keepdims: false }, [kt('not_equal')]),
      layer(
        'LSTM',
        'lstm',
        { units, return_sequences: returnSequences, activation: 'tanh', recurrent_activation: 'sigmoid' },
        [kt('masking')],
        {
          mask: kt('any'),
          training: false,
        },
      ),
      ...after,
    ],
    ['x'],
    [after.length ? after[after.length - 1].name : 'lstm'],
  );
}

/** The same LSTM on the first `valid` steps only, without a mask. */
async function truncated(T: number, F: number, units: number, returnSequences: boolean, weights: tf.Tensor[]) {
  const km = await modelFromConfig(
    functional(
      [
        input('x', [T, F]),
        layer(
          'LSTM',
          'lstm',
          { units, return_sequences: returnSequences, activation: 'tanh', recurrent_activation: 'sigmoid' },
          [kt('x')],
        ),
      ],
      ['x'],
      ['lstm'],
    ) as never,
    { kerasVersion: '3.9.2' },
  );
  km.layer('lstm').setWeights(weights);
  return km;
}

describe('masking in Keras 3 functional models', () => {
  const T = 6;
  const F = 2;
  const U = 3;
  const valid = 4;
  // Post-padded: steps ≥ 4 are all zeros.
  const x = seq(T * F, 1).map((v, i) => (Math.floor(i / F) >= valid ? 0 : v));
  const xValid = x.slice(0, valid * F);

  it('the mask reaches the LSTM as its mask (not as an initial state): equal to the LSTM on the valid steps', async () => {
    const { km, built } = await roundTrip(maskedLstm(T, F, U, false));
    const [y] = predict(km, { data: x, shape: [1, T, F] });
    expect(Math.max(...Array.from(y.data, Math.abs))).toBeGreaterThan(0.05);
    const ref = await truncated(valid, F, U, false, km.layer('lstm').getWeights());
    const [want] = predict(ref, { data: xValid, shape: [1, valid, F] });
    Array.from(want.data).forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
    for (const m of [km, built, ref]) m.dispose();
  });

  it('Embedding(mask_zero) writes its mask as NotEqual(ids, 0); the LSTM skips padding ids', async () => {
    const config = functional(
      [
        input('ids', [T], 'int32'),
        layer('Embedding', 'embedding', { input_dim: 5, output_dim: F, mask_zero: true }, [kt('ids')]),
        op('numpy', 'NotEqual', 'not_equal', {}, [kt('ids'), 0]),
        layer('LSTM', 'lstm', { units: U, activation: 'tanh', recurrent_activation: 'sigmoid' }, [kt('embedding')], {
          mask: kt('not_equal'),
        }),
      ],
      ['ids'],
      ['lstm'],
    );
    const { km, built } = await roundTrip(config);
    const ids = Int32Array.of(3, 1, 4, 2, 0, 0);
    const [y] = predict(km, { data: ids, shape: [1, T] });
    const table = km.layer('embedding').getWeights()[0].arraySync() as number[][];
    const emb = Float32Array.from(Array.from(ids.slice(0, valid)).flatMap((i) => table[i]));
    const ref = await truncated(valid, F, U, false, km.layer('lstm').getWeights());
    const [want] = predict(ref, { data: emb, shape: [1, valid, F] });
    Array.from(want.data).forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
    for (const m of [km, built, ref]) m.dispose();
  });

  it('Bidirectional(return_sequences) outputs zeros at masked steps in both directions (zero_output_for_mask)', async () => {
    const after = [
      layer(
        'Bidirectional',
        'bi',
        {
          merge_mode: 'concat',
          layer: {
            module: 'keras.layers',
            class_name: 'LSTM',
            config: { name: 'lstm_f', units: U, return_sequences: true },
            registered_name: null,
          },
        },
        [kt('masking')],
        { mask: kt('any') },
      ),
    ];
    const config = maskedLstm(T, F, U, false, after);
    config.config.layers = config.config.layers.filter((l) => l.name !== 'lstm');
    // Built from the config (the h5 exporter does not name Bidirectional's two halves apart).
    const km = randomize(await modelFromConfig(config as never, { kerasVersion: '3.9.2' }));
    // Pre-padded this time: TF.js' forward pass would repeat zeros here, its backward pass the last valid output.
    const pre = Float32Array.from({ length: T * F }, (_, i) => (Math.floor(i / F) < T - valid ? 0 : Math.cos(i)));
    const [y] = predict(km, { data: pre, shape: [1, T, F] });
    for (let t = 0; t < T - valid; t++)
      for (let c = 0; c < 2 * U; c++) expect(Math.abs(y.data[t * 2 * U + c]), `step ${t} unit ${c}`).toBe(0);
    // Valid steps: the forward half equals a forward LSTM on the valid steps alone.
    const ref = await truncated(valid, F, U, true, km.layer('bi').getWeights().slice(0, 3));
    const [want] = predict(ref, { data: pre.slice((T - valid) * F), shape: [1, valid, F] });
    for (let t = 0; t < valid; t++)
      for (let c = 0; c < U; c++) expect(y.data[(T - valid + t) * 2 * U + c]).toBeCloseTo(want.data[t * U + c], 5);
    for (const m of [km, ref]) m.dispose();
  });
});
