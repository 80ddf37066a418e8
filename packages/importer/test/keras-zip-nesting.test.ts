import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImporterError, loadModel } from '../src/index.ts';
import { h5 } from '../src/read/h5wasm.ts';
import { batchNorm, dense, expectClose, predictRow, ramp } from './dense-math.ts';
import { kerasZip, type Var } from './keras-zip.ts';

// Where `.keras` files keep the weights of nested models and of tf.keras 2.12–2.14 models, as the
// savers write them (keras/src/saving/saving_lib.py; keras v2.12.0–v2.14.0 keras/saving/saving_lib.py):
// - a nested model's layers sit under its own `layers/` group, keyed by class and counter within
//   that model (`layers/sequential/layers/dense/vars`);
// - tf.keras 2.12–2.14 walk a Functional model's `_layer_checkpoint_dependencies` before `layers`,
//   so the root group has that name; 2.12 and 2.13 list each layer with weights twice there
//   (`layer_with_weights-k` and `layer-i`) and count both, so the n-th Dense is `dense_{2n}`
//   (fixed by keras 0454a40, first released in 2.14).
// Each model is small enough to compute by hand here.

beforeAll(async () => {
  await h5();
});

const denseJson = (name: string, units: number) => ({
  module: 'keras.layers',
  class_name: 'Dense',
  config: { name, units, activation: 'linear', use_bias: true },
});

/** A Keras-3-written Functional model: x → inner Sequential(`innerLayers`) → Dense `out`. */
function nestedFunctional(innerLayers: unknown[], innerInput: number) {
  const kt = (layer: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [layer, 0, 0] } });
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'outer',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { name: 'x', batch_shape: [null, innerInput] },
          name: 'x',
          inbound_nodes: [],
        },
        {
          module: 'keras',
          class_name: 'Sequential',
          config: {
            name: 'block',
            layers: [
              { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, innerInput] } },
              ...innerLayers,
            ],
          },
          name: 'block',
          inbound_nodes: [{ args: [kt('x')], kwargs: {} }],
        },
        { ...denseJson('out', 1), name: 'out', inbound_nodes: [{ args: [kt('block')], kwargs: {} }] },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
  };
}

describe('.keras: weights of a nested model', () => {
  const x = [0.5, -1.25, 2];

  it('reads the inner layers by their own class keys (Dense then BatchNormalization, not alphabetical)', async () => {
    const w1 = ramp([3, 4], 1);
    const b1 = ramp([4], 2);
    const bn = [ramp([4], 3), ramp([4], 4), ramp([4], 5), { shape: [4], data: [0.5, 1.5, 2, 0.25] }];
    const w2 = ramp([4, 1], 6);
    const b2 = ramp([1], 7);
    const config = nestedFunctional(
      [
        denseJson('a', 4),
        { module: 'keras.layers', class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 1e-3 } },
      ],
      3,
    );
    const bytes = kerasZip({
      config,
      kerasVersion: '3.9.2',
      groups: {
        'layers/sequential/layers/dense': [w1, b1],
        'layers/sequential/layers/batch_normalization': bn,
        'layers/dense': [w2, b2],
      },
    });
    expectClose(await predictRow(bytes, x), dense(batchNorm(dense(x, w1, b1), bn), w2, b2));
  });

  it('orders eleven inner layers of one class by counter (dense_2 before dense_10)', async () => {
    const ws = Array.from({ length: 11 }, (_, i) => [ramp([3, 3], 10 + 2 * i), ramp([3], 11 + 2 * i)]);
    const config = nestedFunctional(
      ws.map((_, i) => denseJson(`d${i}`, 3)),
      3,
    );
    const groups: Record<string, Var[]> = { 'layers/dense': [ramp([3, 1], 40), ramp([1], 41)] };
    ws.forEach((w, i) => {
      groups[`layers/sequential/layers/dense${i === 0 ? '' : `_${i}`}`] = w;
    });
    let h = x;
    for (const [w, b] of ws) h = dense(h, w, b);
    const expected = dense(h, groups['layers/dense'][0], groups['layers/dense'][1]);
    expectClose(await predictRow(kerasZip({ config, kerasVersion: '3.9.2', groups }), x), expected);
  });

  it('prefers the layer names newer Keras 3 stores beside the vars', async () => {
    const w1 = ramp([3, 4], 1);
    const b1 = ramp([4], 2);
    const w1b = ramp([4, 4], 3);
    const b1b = ramp([4], 4);
    const w2 = ramp([4, 1], 6);
    const b2 = ramp([1], 7);
    const config = nestedFunctional([denseJson('a', 4), denseJson('b', 4)], 3);
    // Group keys swapped against the layer order; the stored names tell them apart.
    const bytes = kerasZip({
      config,
      kerasVersion: '3.9.2',
      groups: {
        'layers/sequential/layers/dense_1': [w1, b1],
        'layers/sequential/layers/dense': [w1b, b1b],
        'layers/dense': [w2, b2],
      },
      names: { 'layers/sequential/layers/dense_1': 'a', 'layers/sequential/layers/dense': 'b', 'layers/dense': 'out' },
    });
    expectClose(await predictRow(bytes, x), dense(dense(dense(x, w1, b1), w1b, b1b), w2, b2));
  });
  it('a layer missing from a file whose groups carry names is told by name, not by class key', async () => {
    const config = nestedFunctional([denseJson('a', 4)], 3);
    const bytes = kerasZip({
      config,
      kerasVersion: '3.9.2',
      groups: { 'layers/sequential': [], 'layers/sequential/layers/dense': [ramp([3, 4], 1), ramp([4], 2)] },
      names: { 'layers/sequential': 'block', 'layers/sequential/layers/dense': 'a' },
    });
    const e = await loadModel(bytes).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('WEIGHT_MISMATCH');
    expect((e as Error).message).toMatch(/Layer 'out' \(Dense\) needs 2 weights .*layer names must match/);
    expect((e as Error).message).not.toMatch(/names its weight groups by class/);
  });
});

describe('tf.keras 2.12–2.14 .keras: weights under _layer_checkpoint_dependencies', () => {
  const x = [1, -0.5, 0.25];
  const w = [ramp([3, 3], 1), ramp([3], 2), ramp([3, 2], 3), ramp([2], 4), ramp([2, 1], 5), ramp([1], 6)];
  const expected = dense(dense(dense(x, w[0], w[1]), w[2], w[3]), w[4], w[5]);
  const sequential = (kerasVersion: string) => ({
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 3] } },
        { class_name: 'Dense', config: { name: 'd1', units: 3 } },
        { class_name: 'Dropout', config: { name: 'drop', rate: 0.5 } },
        { class_name: 'Dense', config: { name: 'd2', units: 2 } },
        { class_name: 'Dense', config: { name: 'd3', units: 1 } },
      ],
    },
    keras_version: kerasVersion,
  });
  const groups = (root: string, keys: string[]): Record<string, Var[]> => ({
    [`${root}/${keys[0]}`]: [w[0], w[1]],
    [`${root}/dropout`]: [],
    [`${root}/${keys[1]}`]: [w[2], w[3]],
    [`${root}/${keys[2]}`]: [w[4], w[5]],
  });
  const doubled = ['dense', 'dense_2', 'dense_4'];
  const single = ['dense', 'dense_1', 'dense_2'];

  it('tf.keras 2.13: every layer with weights counted twice (dense, dense_2, dense_4)', async () => {
    const bytes = kerasZip({
      config: sequential('2.13.1'),
      kerasVersion: '2.13.1',
      groups: groups('_layer_checkpoint_dependencies', doubled),
    });
    expectClose(await predictRow(bytes, x), expected);
  });

  it('tf.keras 2.14: counted once (dense, dense_1, dense_2)', async () => {
    const bytes = kerasZip({
      config: sequential('2.14.0'),
      kerasVersion: '2.14.0',
      groups: groups('_layer_checkpoint_dependencies', single),
    });
    expectClose(await predictRow(bytes, x), expected);
  });

  it('saved on Windows (root groups joined by \\)', async () => {
    const bytes = kerasZip({
      config: sequential('2.13.1'),
      kerasVersion: '2.13.1',
      groups: groups('_layer_checkpoint_dependencies', doubled),
      windows: true,
    });
    expectClose(await predictRow(bytes, x), expected);
  });

  it('a nested model inside: both levels under _layer_checkpoint_dependencies, both counted twice', async () => {
    const config = {
      class_name: 'Functional',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 3] }, inbound_nodes: [] },
          {
            class_name: 'Sequential',
            config: {
              name: 'block',
              layers: [
                { class_name: 'InputLayer', config: { name: 'block_in', batch_input_shape: [null, 3] } },
                { class_name: 'Dense', config: { name: 'd1', units: 3 } },
                { class_name: 'Dense', config: { name: 'd2', units: 2 } },
              ],
            },
            name: 'block',
            inbound_nodes: [[['x', 0, 0, {}]]],
          },
          { class_name: 'Dense', config: { name: 'd3', units: 1 }, name: 'd3', inbound_nodes: [[['block', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['d3', 0, 0]],
      },
      keras_version: '2.13.1',
    };
    const root = '_layer_checkpoint_dependencies';
    const bytes = kerasZip({
      config,
      kerasVersion: '2.13.1',
      groups: {
        [`${root}/sequential/${root}/dense`]: [w[0], w[1]],
        [`${root}/sequential/${root}/dense_2`]: [w[2], w[3]],
        [`${root}/dense`]: [w[4], w[5]],
      },
    });
    expectClose(await predictRow(bytes, x), expected);
  });

  it('a weights-only .weights.h5 of tf.keras 2.13 with its architecture JSON', async () => {
    const zip = kerasZip({
      config: sequential('2.13.1'),
      kerasVersion: '2.13.1',
      groups: groups('_layer_checkpoint_dependencies', doubled),
    });
    const weightsOnly = unzipSync(zip)['model.weights.h5'];
    expectClose(await predictRow(weightsOnly, x, { architecture: JSON.stringify(sequential('2.13.1')) }), expected);
  });

  it('without a recorded version, the counting the groups fit is used', async () => {
    const arch = { ...sequential('2.13.1'), keras_version: undefined };
    for (const keys of [doubled, single]) {
      const zip = kerasZip({
        config: arch,
        kerasVersion: '2.13.1',
        groups: groups('_layer_checkpoint_dependencies', keys),
      });
      const weightsOnly = unzipSync(zip)['model.weights.h5'];
      expectClose(await predictRow(weightsOnly, x, { architecture: JSON.stringify(arch) }), expected);
    }
  });
});

// Keras 3 `Functional.get_config` numbers a nested functional model's calls from 1 in
// `input_layers`/`output_layers` ("Functional models start with a pre-existing node", kept_nodes = 1)
// and `functional_from_config` takes 1 off again (`get_tensor`); inside inbound nodes the index is
// the call's own (0 for the first). A FedPer-style model, `head(base.output)` with `Model(base.input, …)`,
// saves its output as ['head', 1, 0].
describe('.keras: a nested functional model as the model output', () => {
  const kt = (layer: string, node = 0) => ({
    class_name: '__keras_tensor__',
    config: { keras_history: [layer, node, 0] },
  });
  const inner = (name: string, input: string, units: number, inUnits: number, dense: string) => ({
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name,
      trainable: true,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { name: input, batch_shape: [null, inUnits] },
          name: input,
          inbound_nodes: [],
        },
        { ...denseJson(dense, units), name: dense, inbound_nodes: [{ args: [kt(input)], kwargs: {} }] },
      ],
      input_layers: [input, 0, 0],
      output_layers: [dense, 0, 0],
    },
  });
  const model = (outputNode: number) => ({
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'fedper',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { name: 'seq', batch_shape: [null, 3] },
          name: 'seq',
          inbound_nodes: [],
        },
        {
          ...inner('base', 'seq', 2, 3, 'base_dense'),
          name: 'base',
          inbound_nodes: [{ args: [kt('seq')], kwargs: {} }],
        },
        {
          ...inner('head', 'features', 1, 2, 'head_dense'),
          name: 'head',
          inbound_nodes: [{ args: [kt('base')], kwargs: {} }],
        },
      ],
      input_layers: ['seq', 0, 0],
      output_layers: ['head', outputNode, 0],
    },
  });
  const wb = ramp([3, 2], 1);
  const bb = ramp([2], 2);
  const wh = ramp([2, 1], 3);
  const bh = ramp([1], 4);
  const groups = {
    'layers/functional/layers/dense': [wb, bb],
    'layers/functional_1/layers/dense': [wh, bh],
  };
  const x = [0.5, -1.25, 2];

  it("computes head(base(x)) for output ['head', 1, 0], as Keras loads it", async () => {
    const bytes = kerasZip({ config: model(1), kerasVersion: '3.12.0', groups });
    expectClose(await predictRow(bytes, x), dense(dense(x, wb, bb), wh, bh));
  });

  it('still refuses an output call the nested model does not have', async () => {
    const bytes = kerasZip({ config: model(2), kerasVersion: '3.12.0', groups });
    const e = await predictRow(bytes, x).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    // The message counts calls from 0, as Keraspect does everywhere: the file's call 2 is its second call.
    expect((e as Error).message).toMatch(/is never computed: layer 'head' has no call 1/);
  });
});
