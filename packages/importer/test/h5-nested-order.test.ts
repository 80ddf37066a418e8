import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../src/export/h5.ts';
import { loadModel, toKerasH5 } from '../src/index.ts';
import type { WeightArray } from '../src/layers/port.ts';
import { h5 } from '../src/read/h5wasm.ts';
import { batchNorm, dense, expectClose, predictRow, ramp } from './dense-math.ts';

// A nested model's weights in a legacy .h5 are one group listing them as Keras' saver takes them:
// `layer.trainable_weights + layer.non_trainable_weights` of the nested model (tf.keras
// hdf5_format._legacy_weights; Keras 2 `layer.weights`; Keras 3 legacy_h5_format) — every inner
// layer's trainable weights, then every inner layer's non-trainable ones (BatchNormalization's
// moving statistics, the weights of a layer saved with trainable=False).

const named = (name: string, shape: number[], seed: number): WeightArray => ({ name, ...ramp(shape, seed) });

beforeAll(async () => {
  await h5();
});

/** tf.keras-style functional config: x → Sequential 'block'(inner) → Dense 'out'(1). */
const functional = (inner: unknown[]) => ({
  class_name: 'Functional',
  config: {
    name: 'outer',
    layers: [
      { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 3] }, inbound_nodes: [] },
      {
        class_name: 'Sequential',
        name: 'block',
        config: {
          name: 'block',
          layers: [{ class_name: 'InputLayer', config: { name: 'block_in', batch_input_shape: [null, 3] } }, ...inner],
        },
        inbound_nodes: [[['x', 0, 0, {}]]],
      },
      { class_name: 'Dense', name: 'out', config: { name: 'out', units: 1 }, inbound_nodes: [[['block', 0, 0, {}]]] },
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [['out', 0, 0]],
  },
});

describe('legacy .h5: the weights of a nested model in Keras order', () => {
  const x = [0.5, -1.25, 2];
  const out = [named('out/kernel:0', [3, 1], 9), named('out/bias:0', [1], 10)];

  it('BatchNormalization between two Dense: its moving statistics come after every trainable weight', async () => {
    const a = [named('a/kernel:0', [3, 3], 1), named('a/bias:0', [3], 2)];
    const bn = [
      named('bn/gamma:0', [3], 3),
      named('bn/beta:0', [3], 4),
      named('bn/moving_mean:0', [3], 5),
      { name: 'bn/moving_variance:0', shape: [3], data: Float32Array.of(0.5, 1.5, 2) },
    ];
    const c = [named('c/kernel:0', [3, 3], 6), named('c/bias:0', [3], 7)];
    const config = functional([
      { class_name: 'Dense', config: { name: 'a', units: 3 } },
      { class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 1e-3 } },
      { class_name: 'Dense', config: { name: 'c', units: 3 } },
    ]);
    const bytes = writeKerasH5({
      modelConfig: config as never,
      kerasVersion: '2.10.0',
      layers: [
        { name: 'x', weights: [] },
        { name: 'block', weights: [...a, bn[0], bn[1], ...c, bn[2], bn[3]] },
        { name: 'out', weights: out },
      ],
    });
    const expected = dense(dense(batchNorm(dense(x, a[0], a[1]), bn), c[0], c[1]), out[0], out[1]);
    expectClose(await predictRow(bytes, x), expected);
  });

  it('a layer saved with trainable=False: its weights come after the trainable layers', async () => {
    const a = [named('a/kernel:0', [3, 3], 1), named('a/bias:0', [3], 2)];
    const b = [named('b/kernel:0', [3, 3], 3), named('b/bias:0', [3], 4)];
    const config = functional([
      { class_name: 'Dense', config: { name: 'a', units: 3, trainable: false } },
      { class_name: 'Dense', config: { name: 'b', units: 3 } },
    ]);
    const bytes = writeKerasH5({
      modelConfig: config as never,
      kerasVersion: '2.10.0',
      layers: [
        { name: 'x', weights: [] },
        { name: 'block', weights: [...b, ...a] },
        { name: 'out', weights: out },
      ],
    });
    const expected = dense(dense(dense(x, a[0], a[1]), b[0], b[1]), out[0], out[1]);
    expectClose(await predictRow(bytes, x), expected);
  });

  it('export writes the same order, so the file reads back equal', async () => {
    const a = [named('a/kernel:0', [3, 3], 1), named('a/bias:0', [3], 2)];
    const b = [named('b/kernel:0', [3, 3], 3), named('b/bias:0', [3], 4)];
    const config = functional([
      { class_name: 'Dense', config: { name: 'a', units: 3, trainable: false } },
      { class_name: 'Dense', config: { name: 'b', units: 3 } },
    ]);
    const layers = [
      { name: 'x', weights: [] },
      { name: 'block', weights: [...b, ...a] },
      { name: 'out', weights: out },
    ];
    const bytes = writeKerasH5({ modelConfig: config as never, kerasVersion: '2.10.0', layers });
    const km = await loadModel(bytes);
    const again = await toKerasH5(km);
    km.dispose();
    expectClose(await predictRow(again, x), await predictRow(bytes, x));
    const reread = await loadModel(again);
    const names = reread.kerasWeights.get('block')!.map((w) => w.name);
    reread.dispose();
    expect(names).toEqual(['b/kernel:0', 'b/bias:0', 'a/kernel:0', 'a/bias:0']);
  });
});
