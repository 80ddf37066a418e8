import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadModel, modelFromConfig, predict, toKerasH5 } from '../src/index.ts';

// Keras 1/2 and tf.keras count a nested model's calls from 1: its node 0 is the node that links its
// own Input to its output, made when it was built, which the outer config leaves out
// (`_should_skip_first_node` / `kept_nodes = 1` in get_config, `get_node_index` in from_config).
// So a tf.keras 2.12 model that calls a nested Functional `block` once refers to it as
// ['block', 1, 0], twice as ['block', 1, 0] and ['block', 2, 0].
const input = (name: string, shape: (number | null)[]) => ({
  class_name: 'InputLayer',
  name,
  config: { name, batch_input_shape: shape, dtype: 'float32' },
  inbound_nodes: [],
});
const dense = (name: string, units: number, inbound: unknown[], extra: Record<string, unknown> = {}) => ({
  class_name: 'Dense',
  name,
  config: { name, units, activation: 'linear', use_bias: true, ...extra },
  inbound_nodes: inbound,
});

/** block(v) = v·W + c, W (2, 2); called on x and on pre(x) = 2·x. */
const twice = {
  class_name: 'Functional',
  config: {
    name: 'outer',
    layers: [
      input('x', [null, 2]),
      dense('pre', 2, [[['x', 0, 0, {}]]]),
      {
        class_name: 'Functional',
        name: 'block',
        config: {
          name: 'block',
          layers: [input('bx', [null, 2]), dense('bd', 2, [[['bx', 0, 0, {}]]])],
          input_layers: [['bx', 0, 0]],
          output_layers: [['bd', 0, 0]],
        },
        inbound_nodes: [[['x', 0, 0, {}]], [['pre', 0, 0, {}]]],
      },
      {
        class_name: 'TFOpLambda',
        name: 'tf.__operators__.add',
        config: { name: 'tf.__operators__.add', function: '__operators__.add' },
        inbound_nodes: [['block', 1, 0, { y: ['block', 2, 0], name: null }]],
      },
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [
      ['tf.__operators__.add', 0, 0],
      ['block', 2, 0],
    ],
  },
};

describe('calls of a nested model are counted from 1 in Keras 2 configs', () => {
  it('a nested Functional called twice, referred to as node 1 and node 2 (also in output_layers)', async () => {
    const km = await modelFromConfig(twice as never);
    km.layer('pre').setWeights([tf.tensor2d([2, 0, 0, 2], [2, 2]), tf.tensor1d([0, 0])]);
    km.layer('bd').setWeights([tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([1, -1])]);
    const [sum, second] = predict(km, { data: Float32Array.of(1, 1), shape: [1, 2] });
    // block(x) = (1+3+1, 2+4−1) = (5, 5); block(2x) = (2+6+1, 4+8−1) = (9, 11)
    expect(Array.from(second.data)).toEqual([9, 11]);
    expect(Array.from(sum.data)).toEqual([14, 16]);
    const again = await loadModel(await toKerasH5(km));
    expect(Array.from(predict(again, { data: Float32Array.of(1, 1), shape: [1, 2] })[0].data)).toEqual([14, 16]);
    km.dispose();
    again.dispose();
  });

  it('a standalone Keras 2 nested Sequential with an input shape, referred to as node 1', async () => {
    const km = await modelFromConfig({
      class_name: 'Model',
      config: {
        name: 'outer',
        layers: [
          input('x', [null, 2]),
          {
            class_name: 'Sequential',
            name: 'seq',
            config: { name: 'seq', layers: [{ ...dense('s1', 1, [], { batch_input_shape: [null, 2] }) }] },
            inbound_nodes: [[['x', 0, 0, {}]]],
          },
          dense('out', 1, [[['seq', 1, 0, {}]]]),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['out', 0, 0]],
      },
    } as never);
    km.layer('s1').setWeights([tf.tensor2d([1, 2], [2, 1]), tf.tensor1d([0.5])]);
    km.layer('out').setWeights([tf.tensor2d([3], [1, 1]), tf.tensor1d([-1])]);
    const [y] = predict(km, { data: Float32Array.of(1, 1), shape: [1, 2] });
    expect(y.data[0]).toBeCloseTo(3 * 3.5 - 1, 5);
    km.dispose();
  });
});
