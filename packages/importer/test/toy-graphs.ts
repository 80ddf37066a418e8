/** Small Keras configs shared by the graph tests. */

export const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({
  class_name: 'Dense',
  config: { name, units, activation: 'linear', use_bias: true, ...extra },
});

/** Keras 2 functional: two inputs, a shared Dense applied to both, a nested Sequential, two outputs. */
export const functional = {
  class_name: 'Model',
  config: {
    name: 'graph',
    layers: [
      {
        class_name: 'InputLayer',
        name: 'a',
        config: { name: 'a', batch_input_shape: [null, 3], dtype: 'float32' },
        inbound_nodes: [],
      },
      {
        class_name: 'InputLayer',
        name: 'b',
        config: { name: 'b', batch_input_shape: [null, 3], dtype: 'float32' },
        inbound_nodes: [],
      },
      { ...dense('shared', 2), name: 'shared', inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
      {
        class_name: 'Subtract',
        name: 'diff',
        config: { name: 'diff' },
        inbound_nodes: [
          [
            ['shared', 0, 0, {}],
            ['shared', 1, 0, {}],
          ],
        ],
      },
      {
        class_name: 'Sequential',
        name: 'head',
        config: {
          name: 'head',
          layers: [{ ...dense('h1', 2, { batch_input_shape: [null, 2], activation: 'relu' }) }, dense('h2', 1)],
        },
        inbound_nodes: [[['diff', 0, 0, {}]]],
      },
    ],
    input_layers: [
      ['a', 0, 0],
      ['b', 0, 0],
    ],
    output_layers: [
      ['head', 0, 0],
      ['diff', 0, 0],
    ],
  },
};
