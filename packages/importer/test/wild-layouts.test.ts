import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defineLayer,
  ImporterError,
  loadModel,
  modelFromConfig,
  predict,
  registerLayer,
  toTfjs,
} from '../src/index.ts';
import { unregisterLayer } from '../src/layers/registry.ts';
import { h5 } from '../src/read/h5wasm.ts';
import { kerasZip, type Var } from './keras-zip.ts';

// Layouts and configs met in real files beyond the shared corpus (a sweep of public repositories):
// each test rebuilds the layout with Keraspect's own writers and checks it against closed-form
// values or against the layout the corpus already verifies against Keras.

beforeAll(async () => {
  await h5();
});

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

const v = (shape: number[], seed: number): Var => ({
  shape,
  data: values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

async function run(bytes: Uint8Array, x: number[], shape: number[]): Promise<number[]> {
  const km = await loadModel(bytes);
  try {
    return Array.from(predict(km, { data: Float32Array.from(x), shape })[0].data);
  } finally {
    km.dispose();
  }
}

describe('GlobalAveragePooling1D / GlobalMaxPooling1D with data_format channels_first', () => {
  const seq = (layer: Record<string, unknown>, pre: Record<string, unknown>[] = []) => ({
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 2, 3] } }, ...pre, layer],
    },
  });
  const x = [1, 2, 3, 4, 5, 9];

  it('pools axis 2, as Keras does (the keras.io timeseries transformer pools the features)', async () => {
    for (const [cls, want] of [
      ['GlobalAveragePooling1D', [2, 6]],
      ['GlobalMaxPooling1D', [3, 9]],
    ] as const) {
      const km = await modelFromConfig(seq({ class_name: cls, config: { name: 'g', data_format: 'channels_first' } }));
      const [y] = predict(km, { data: Float32Array.from(x), shape: [1, 2, 3] });
      expect(y.shape).toEqual([1, 2]);
      expect(Array.from(y.data)).toEqual(want);
      km.dispose();
    }
    const kept = await modelFromConfig(
      seq({
        class_name: 'GlobalAveragePooling1D',
        config: { name: 'g', data_format: 'channels_first', keepdims: true },
      }),
    );
    expect(predict(kept, { data: Float32Array.from(x), shape: [1, 2, 3] })[0].shape).toEqual([1, 2, 1]);
    kept.dispose();
  });

  it('the masked mean expands the (batch, steps) mask at axis 1, as Keras does', async () => {
    // Input (1, 2, 2); Masking(0) hides step 1, so the mask [1, 0] weights the last axis.
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 2, 2] } },
          { class_name: 'Masking', config: { name: 'm', mask_value: 0 } },
          { class_name: 'GlobalAveragePooling1D', config: { name: 'g', data_format: 'channels_first' } },
        ],
      },
    });
    const [y] = predict(km, { data: Float32Array.of(1, 2, 0, 0), shape: [1, 2, 2] });
    // x·m = [[1, 0], [0, 0]], summed over axis 2 and divided by sum(m) = 1.
    expect(Array.from(y.data)).toEqual([1, 0]);
    km.dispose();
  });

  it('rejects a data_format Keras does not have, naming it', async () => {
    const e = await modelFromConfig(
      seq({ class_name: 'GlobalAveragePooling1D', config: { name: 'g', data_format: 'channels_middle' } }),
    ).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/data_format.*channels_middle/);
  });
});

describe('Flatten on any rank, as Keras (min_ndim 1)', () => {
  const flat = async (shape: number[], config: Record<string, unknown>, x: number[]) => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } },
          { class_name: 'Flatten', config: { name: 'f', ...config } },
        ],
      },
    });
    const [y] = predict(km, { data: Float32Array.from(x), shape: [1, ...shape] });
    km.dispose();
    return y;
  };

  it('passes a rank-2 input through (e.g. after GlobalAveragePooling1D)', async () => {
    const y = await flat([3], {}, [1, 2, 3]);
    expect(y.shape).toEqual([1, 3]);
    expect(Array.from(y.data)).toEqual([1, 2, 3]);
  });

  it('turns a rank-1 input into (batch, 1)', async () => {
    const y = await flat([], {}, [7]);
    expect(y.shape).toEqual([1, 1]);
    expect(Array.from(y.data)).toEqual([7]);
  });

  it("exports as TF.js' own Flatten, data format included", async () => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 2, 3] } },
          { class_name: 'Flatten', config: { name: 'f', data_format: 'channels_first' } },
        ],
      },
    });
    const art = await toTfjs(km);
    km.dispose();
    const layers = (art.modelJson.modelTopology as { config: { layers: { class_name: string; config: object }[] } })
      .config.layers;
    expect(layers.map((l) => l.class_name)).toContain('Flatten');
    expect(layers.find((l) => l.class_name === 'Flatten')?.config).toMatchObject({ data_format: 'channels_first' });
  });

  it('channels_first moves the channels last before flattening; channels_last keeps C order', async () => {
    expect(Array.from((await flat([2, 3], { data_format: 'channels_first' }, [1, 2, 3, 4, 5, 6])).data)).toEqual([
      1, 4, 2, 5, 3, 6,
    ]);
    expect(Array.from((await flat([2, 3], { data_format: 'channels_last' }, [1, 2, 3, 4, 5, 6])).data)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });
});

/**
 * tf.keras 2.15 .keras config (Functional, Keras 2 node lists): x (4, 2) → MultiHeadAttention(x, x)
 * → Conv1D(2, 1) → GlobalAveragePooling1D → Dense(1). No `name` is stored beside the vars, so the
 * weight groups are found by class key: multi_head_attention, conv1d, dense.
 */
function transformerZip(layout: {
  windows?: boolean;
  publicMhaNames?: boolean;
  kerasVersion?: string;
  swapQueryKey?: boolean;
}) {
  const node = (from: string, kw: Record<string, unknown> = {}) => [[[from, 0, 0, kw]]];
  const layer = (class_name: string, config: Record<string, unknown>, inbound: unknown) => ({
    module: 'keras.layers',
    class_name,
    config,
    registered_name: null,
    name: config.name,
    inbound_nodes: inbound,
  });
  const config = {
    module: 'keras.src.engine.functional',
    class_name: 'Functional',
    config: {
      name: 'model',
      trainable: true,
      layers: [
        layer('InputLayer', { name: 'x', batch_input_shape: [null, 4, 2], dtype: 'float32' }, []),
        layer(
          'MultiHeadAttention',
          { name: 'mha_7', num_heads: 2, key_dim: 3, value_dim: 3, use_bias: true, attention_axes: [1] },
          node('x', { value: ['x', 0, 0] }),
        ),
        layer(
          'Conv1D',
          { name: 'conv1d_31', filters: 2, kernel_size: [1], strides: [1], padding: 'valid', activation: 'relu' },
          node('mha_7'),
        ),
        layer('GlobalAveragePooling1D', { name: 'gap', data_format: 'channels_last' }, node('conv1d_31')),
        layer('Dense', { name: 'out', units: 1, activation: 'linear', use_bias: true }, node('gap')),
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
    registered_name: null,
  };
  const sub = (n: string) => `layers/multi_head_attention/${layout.publicMhaNames ? '' : '_'}${n}`;
  return kerasZip({
    config,
    kerasVersion: layout.kerasVersion ?? '2.15.0',
    windows: layout.windows,
    groups: {
      'layers/input_layer': [],
      'layers/multi_head_attention': [],
      [sub(layout.swapQueryKey ? 'key_dense' : 'query_dense')]: [v([2, 2, 3], 1), v([2, 3], 2)],
      [sub(layout.swapQueryKey ? 'query_dense' : 'key_dense')]: [v([2, 2, 3], 3), v([2, 3], 4)],
      [sub('value_dense')]: [v([2, 2, 3], 5), v([2, 3], 6)],
      [sub('output_dense')]: [v([2, 3, 2], 7), v([2], 8)],
      'layers/conv1d': [v([1, 2, 2], 9), v([2], 10)],
      'layers/global_average_pooling1d': [],
      'layers/dense': [v([2, 1], 11), v([1], 12)],
    },
  });
}

describe('.keras weight groups named by class', () => {
  const x = values(8, 99);

  it("finds Conv1D's group as Keras names it (conv1d: to_snake_case puts no _ before 1D)", async () => {
    const y = await run(transformerZip({}), x, [1, 4, 2]);
    expect(y).toHaveLength(1);
    expect(Number.isFinite(y[0])).toBe(true);
  });

  it('reads a tf.keras 2.13–2.15 file saved on Windows (layers\\conv1d root groups) as the same model', async () => {
    const linux = await run(transformerZip({}), x, [1, 4, 2]);
    const windows = await run(transformerZip({ windows: true }), x, [1, 4, 2]);
    expect(windows).toEqual(linux);
  });

  it("orders MultiHeadAttention's sub-layers saved under public names (Keras 3.10: query_dense) as Keras creates them", async () => {
    const underscored = await run(transformerZip({ kerasVersion: '3.3.3' }), x, [1, 4, 2]);
    const named = await run(transformerZip({ publicMhaNames: true, kerasVersion: '3.10.0' }), x, [1, 4, 2]);
    expect(named).toEqual(underscored);
    // Swapping query and key changes the output, so the comparison above can see a wrong order.
    const swapped = await run(transformerZip({ kerasVersion: '3.3.3', swapQueryKey: true }), x, [1, 4, 2]);
    expect(swapped).not.toEqual(underscored);
  });

  it('a missing group names the key looked for and the groups the file has', async () => {
    const bytes = kerasZip({
      config: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 3] } },
            { class_name: 'Dense', config: { name: 'd', units: 1 } },
          ],
        },
      },
      kerasVersion: '2.15.0',
      groups: { 'layers/dense_7': [v([3, 1], 1), v([1], 2)] },
    });
    const e = await loadModel(bytes).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('WEIGHT_MISMATCH');
    expect((e as Error).message).toMatch(/names its weight groups by class.*looked for as 'dense'.*groups are dense_7/);
  });
});

describe('user functions get one input as a tensor, the same at the shape probe and at predict', () => {
  it('defineLayer call() and a Lambda see a bare tensor both times; their exceptions are PLUGIN errors', async () => {
    const seen: string[] = [];
    registerLayer(
      'Twice',
      defineLayer('Twice', {
        call: (x, _w, _c, t) => {
          seen.push(Array.isArray(x) ? 'array' : 'tensor');
          return t.mul(x as tf.Tensor, 2);
        },
      }),
    );
    try {
      const config = {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 2] } },
            { class_name: 'Twice', config: { name: 't' } },
            { class_name: 'Lambda', config: { name: 'l', function: 'plus_one' } },
          ],
        },
      };
      const lambdaSeen: string[] = [];
      const km = await modelFromConfig(config, {
        lambdas: {
          l: (x: tf.Tensor | tf.Tensor[]) => {
            lambdaSeen.push(Array.isArray(x) ? 'array' : 'tensor');
            return tf.add(x as tf.Tensor, 1);
          },
        },
      });
      const [y] = predict(km, { data: Float32Array.of(1, 2), shape: [1, 2] });
      expect(Array.from(y.data)).toEqual([3, 5]);
      km.dispose();
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen)).toEqual(new Set(['tensor']));
      expect(new Set(lambdaSeen)).toEqual(new Set(['tensor']));

      const broken = await modelFromConfig(config, {
        lambdas: {
          l: (x: tf.Tensor | tf.Tensor[]) => {
            if ((x as tf.Tensor).shape[0] === 1) throw new TypeError('boom');
            return x;
          },
        },
      });
      const e = (() => {
        try {
          predict(broken, { data: Float32Array.of(1, 2), shape: [1, 2] });
        } catch (err) {
          return err;
        }
      })();
      broken.dispose();
      expect((e as ImporterError).code).toBe('PLUGIN');
      expect((e as Error).message).toMatch(
        /function supplied for Lambda layer 'l' threw \(TypeError: boom\) on input of shape \[1,2\].*not in the file/,
      );
    } finally {
      unregisterLayer('Twice');
    }
  });
});

describe('integer weights (Keras 3 Normalization keeps its adapt count as an int64 scalar)', () => {
  it('a .keras file whose Normalization vars are mean, variance and an int64 count loads and normalizes', async () => {
    const bytes = kerasZip({
      config: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'InputLayer', config: { name: 'x', batch_shape: [null, 2] } },
            {
              class_name: 'Normalization',
              config: { name: 'normalization', axis: [-1], invert: false, mean: null, variance: null },
            },
          ],
        },
      },
      kerasVersion: '3.10.0',
      groups: {
        'layers/normalization': [
          { shape: [2], data: [1, -2] },
          { shape: [2], data: [4, 0.25] },
          { shape: [], data: [7], dtype: '<q' },
        ],
      },
    });
    const km = await loadModel(bytes);
    const [y] = predict(km, { data: Float32Array.of(5, -1), shape: [1, 2] });
    expect(Array.from(y.data)).toEqual([2, 2]);
    km.dispose();
  });
});
