import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { ImporterError } from '../../src/errors.ts';
import { loadModel, modelFromConfig, predict, toKerasH5 } from '../../src/index.ts';
import type { WeightArray } from '../../src/layers/port.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { kerasZip } from '../keras-zip.ts';
import { expectClose, rand, seededWeight as w } from './helpers.ts';

// Keras' generic RNN layer around the built-in cells (tf.keras layers/rnn/base_rnn.py, Keras 3
// layers/rnn/rnn.py and stacked_rnn_cells.py). RNN(cell) is the cell's layer with the RNN's flags;
// RNN(StackedRNNCells) runs every cell at each step on the output of the one below. The stacked
// SimpleRNN case is computed here in closed form; the single-cell cases against the layer they are.

const B = 2;
const T = 5;
const F = 3;

beforeAll(async () => {
  await h5();
});

const xs = Float32Array.from(rand(B * T * F, 7).map((v) => 2 * v));
const x = { data: xs, shape: [B, T, F] };

/** A tf.keras 2 Sequential: InputLayer (T, F) → `layers`. */
function sequential(layers: unknown[]) {
  return {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, F], dtype: 'float32' } },
        ...layers,
      ],
    },
  };
}

const cell = (class_name: string, config: Record<string, unknown>) => ({
  class_name,
  config: { name: 'cell', ...config },
});
const rnn = (name: string, c: unknown, flags: Record<string, unknown> = {}) => ({
  class_name: 'RNN',
  config: {
    name,
    cell: c,
    return_sequences: false,
    return_state: false,
    go_backwards: false,
    stateful: false,
    unroll: false,
    time_major: false,
    ...flags,
  },
});
const stacked = (cells: unknown[]) => ({ class_name: 'StackedRNNCells', config: { cells } });

/** tanh(x·W + h·U + b) over time for one sample's rows `seq` (T × in), returning every h. */
function simpleRnn(seq: number[][], W: WeightArray, U: WeightArray, b: WeightArray): number[][] {
  const units = b.shape[0];
  let h = new Array(units).fill(0);
  return seq.map((xt) => {
    h = h.map((_, j) => {
      let s = b.data[j];
      xt.forEach((v, i) => {
        s += v * W.data[i * units + j];
      });
      h.forEach((v, i) => {
        s += v * U.data[i * units + j];
      });
      return Math.tanh(s);
    });
    return h;
  });
}

const sample = (b: number) =>
  Array.from({ length: T }, (_, t) => Array.from(xs.subarray((b * T + t) * F, (b * T + t + 1) * F)));

describe('RNN(StackedRNNCells) of SimpleRNNCells, in closed form', () => {
  const U1 = 4;
  const U2 = 2;
  const weights = [
    w('rnn/stacked_rnn_cells/simple_rnn_cell/kernel:0', [F, U1], 1),
    w('rnn/stacked_rnn_cells/simple_rnn_cell/recurrent_kernel:0', [U1, U1], 2),
    w('rnn/stacked_rnn_cells/simple_rnn_cell/bias:0', [U1], 3),
    w('rnn/stacked_rnn_cells/simple_rnn_cell_1/kernel:0', [U1, U2], 4),
    w('rnn/stacked_rnn_cells/simple_rnn_cell_1/recurrent_kernel:0', [U2, U2], 5),
    w('rnn/stacked_rnn_cells/simple_rnn_cell_1/bias:0', [U2], 6),
  ];
  const cells = stacked([
    cell('SimpleRNNCell', { units: U1, activation: 'tanh' }),
    cell('SimpleRNNCell', { units: U2, activation: 'tanh' }),
  ]);

  /** Both cells' h at every step, in processing order. */
  function reference(b: number, backwards: boolean): [number[][], number[][]] {
    const seq = backwards ? sample(b).reverse() : sample(b);
    const h1 = simpleRnn(seq, weights[0], weights[1], weights[2]);
    return [h1, simpleRnn(h1, weights[3], weights[4], weights[5])];
  }

  const file = (flags: Record<string, unknown>) =>
    writeKerasH5({
      modelConfig: sequential([rnn('rnn', cells, flags)]) as never,
      kerasVersion: '2.4.0',
      layers: [{ name: 'rnn', weights }],
    });

  for (const backwards of [false, true]) {
    it(`return_sequences${backwards ? ', go_backwards (output in processing order)' : ''}`, async () => {
      const km = await loadModel(file({ return_sequences: true, go_backwards: backwards }));
      const [y] = predict(km, x);
      expect(y.shape).toEqual([B, T, U2]);
      expectClose(
        y.data,
        [0, 1].flatMap((b) => reference(b, backwards)[1].flat()),
      );
      km.dispose();
    });
  }

  it("return_state: [output, cell 0's h, cell 1's h], as Keras flattens the stack's states", async () => {
    const config = {
      class_name: 'Model',
      config: {
        name: 'states',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            config: { name: 'x', batch_input_shape: [null, T, F] },
            inbound_nodes: [],
          },
          { ...rnn('rnn', cells, { return_state: true }), name: 'rnn', inbound_nodes: [[['x', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [
          ['rnn', 0, 0],
          ['rnn', 0, 1],
          ['rnn', 0, 2],
        ],
      },
    };
    const km = await loadModel(
      writeKerasH5({ modelConfig: config as never, kerasVersion: '2.4.0', layers: [{ name: 'rnn', weights }] }),
    );
    const [y, h1, h2] = predict(km, x);
    const last = (b: number, k: 0 | 1) => reference(b, false)[k][T - 1];
    expect([y.shape, h1.shape, h2.shape]).toEqual([
      [B, U2],
      [B, U1],
      [B, U2],
    ]);
    expectClose(
      y.data,
      [0, 1].flatMap((b) => last(b, 1)),
    );
    expectClose(
      h1.data,
      [0, 1].flatMap((b) => last(b, 0)),
    );
    expectClose(
      h2.data,
      [0, 1].flatMap((b) => last(b, 1)),
    );
    km.dispose();
  });

  it('skips masked steps in every cell (Masking before the RNN)', async () => {
    const masked = Float32Array.from(xs);
    masked.fill(0, (0 * T + 3) * F, (0 * T + 5) * F); // sample 0: steps 3, 4 masked
    masked.fill(0, (1 * T + 1) * F, (1 * T + 2) * F); // sample 1: step 1 masked
    const config = sequential([
      { class_name: 'Masking', config: { name: 'mask', mask_value: 0 } },
      rnn('rnn', cells, { return_sequences: false }),
    ]);
    const km = await loadModel(
      writeKerasH5({
        modelConfig: config as never,
        kerasVersion: '2.4.0',
        layers: [
          { name: 'mask', weights: [] },
          { name: 'rnn', weights },
        ],
      }),
    );
    const [y] = predict(km, { data: masked, shape: [B, T, F] });
    // a masked step carries both states: the same as the sequence without it
    const keep = (b: number, steps: number[]) =>
      steps.map((t) => Array.from(masked.subarray((b * T + t) * F, (b * T + t + 1) * F)));
    const top = (seq: number[][]) => {
      const h1 = simpleRnn(seq, weights[0], weights[1], weights[2]);
      return simpleRnn(h1, weights[3], weights[4], weights[5]).at(-1) as number[];
    };
    expectClose(y.data, [...top(keep(0, [0, 1, 2])), ...top(keep(1, [0, 2, 3, 4]))]);
    km.dispose();
  });
});

describe('RNN(cell) is the layer of that cell', () => {
  const U = 3;
  const cases = [
    {
      cls: 'LSTMCell',
      layer: 'LSTM',
      config: { units: U, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, unit_forget_bias: true },
      shapes: [[F, 4 * U], [U, 4 * U], [4 * U]],
    },
    {
      cls: 'GRUCell',
      layer: 'GRU',
      config: { units: U, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true },
      shapes: [
        [F, 3 * U],
        [U, 3 * U],
        [2, 3 * U],
      ],
    },
    {
      cls: 'SimpleRNNCell',
      layer: 'SimpleRNN',
      config: { units: U, activation: 'relu', use_bias: true },
      shapes: [[F, U], [U, U], [U]],
    },
  ];
  for (const c of cases) {
    for (const flags of [{ return_sequences: true }, { return_sequences: true, go_backwards: true }, {}]) {
      it(`RNN(${c.cls}) ${JSON.stringify(flags)} equals ${c.layer} with the same weights`, async () => {
        const weights = c.shapes.map((s, i) => w(`rnn/${c.cls.toLowerCase()}/${i}`, s, 10 + i));
        const viaRnn = await loadModel(
          writeKerasH5({
            modelConfig: sequential([rnn('rnn', cell(c.cls, c.config), flags)]) as never,
            kerasVersion: '2.4.0',
            layers: [{ name: 'rnn', weights }],
          }),
        );
        const direct = await loadModel(
          writeKerasH5({
            modelConfig: sequential([{ class_name: c.layer, config: { name: 'l', ...c.config, ...flags } }]) as never,
            kerasVersion: '2.4.0',
            layers: [{ name: 'l', weights }],
          }),
        );
        expectClose(predict(viaRnn, x)[0].data, predict(direct, x)[0].data, 1e-6);
        viaRnn.dispose();
        direct.dispose();
      });
    }
  }

  it('a stack of an LSTMCell and a GRUCell equals LSTM(return_sequences) → GRU', async () => {
    const [U1, U2] = [4, 2];
    const lstmW = [w('a', [F, 4 * U1], 20), w('b', [U1, 4 * U1], 21), w('c', [4 * U1], 22)];
    const gruW = [w('d', [U1, 3 * U2], 23), w('e', [U2, 3 * U2], 24), w('f', [2, 3 * U2], 25)];
    const lstmCfg = { units: U1, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true };
    const gruCfg = {
      units: U2,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      reset_after: true,
    };
    const viaRnn = await loadModel(
      writeKerasH5({
        modelConfig: sequential([rnn('rnn', stacked([cell('LSTMCell', lstmCfg), cell('GRUCell', gruCfg)]))]) as never,
        kerasVersion: '2.4.0',
        layers: [{ name: 'rnn', weights: [...lstmW, ...gruW] }],
      }),
    );
    const layers = await loadModel(
      writeKerasH5({
        modelConfig: sequential([
          { class_name: 'LSTM', config: { name: 'l', ...lstmCfg, return_sequences: true } },
          { class_name: 'GRU', config: { name: 'g', ...gruCfg } },
        ]) as never,
        kerasVersion: '2.4.0',
        layers: [
          { name: 'l', weights: lstmW },
          { name: 'g', weights: gruW },
        ],
      }),
    );
    expectClose(predict(viaRnn, x)[0].data, predict(layers, x)[0].data, 1e-6);
    // and it writes back to .h5 as Keras stores it
    const again = await loadModel(await toKerasH5(viaRnn));
    expectClose(predict(again, x)[0].data, predict(viaRnn, x)[0].data, 1e-7);
    again.dispose();
    viaRnn.dispose();
    layers.dispose();
  });
});

describe('RNN in a Keras 3 .keras file', () => {
  it("reads a stack's cells from layers/rnn/cell/cells/<cell>, <cell>_1, … in counter order", async () => {
    const cells = 11; // past ten, the counters sort as numbers: simple_rnn_cell_10 comes last
    const U = 2;
    const groups: Record<string, { shape: number[]; data: Float32Array }[]> = {};
    const stack: WeightArray[][] = [];
    for (let k = 0; k < cells; k++) {
      const own = [w('k', [k === 0 ? F : U, U], 30 + 3 * k), w('r', [U, U], 31 + 3 * k), w('b', [U], 32 + 3 * k)];
      stack.push(own);
      groups[`layers/rnn/cell/cells/simple_rnn_cell${k ? `_${k}` : ''}`] = own;
    }
    const kcell = {
      module: 'keras.layers',
      class_name: 'SimpleRNNCell',
      config: { name: 'c', units: U, activation: 'tanh', use_bias: true },
      registered_name: null,
    };
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { name: 'x', batch_shape: [null, T, F] } },
          {
            module: 'keras.layers',
            class_name: 'RNN',
            config: {
              name: 'rnn',
              cell: {
                module: 'keras.layers',
                class_name: 'StackedRNNCells',
                config: { cells: Array(cells).fill(kcell) },
                registered_name: null,
              },
              return_sequences: false,
              return_state: false,
              go_backwards: false,
              stateful: false,
              unroll: false,
              zero_output_for_mask: false,
            },
          },
        ],
      },
    };
    const km = await loadModel(kerasZip({ config, kerasVersion: '3.9.2', groups }));
    const [y] = predict(km, x);
    const want = [0, 1].flatMap((b) => {
      let seq = sample(b);
      for (const [W, Ur, bias] of stack) seq = simpleRnn(seq, W, Ur, bias);
      return seq[T - 1];
    });
    expectClose(y.data, want);
    km.dispose();
  });
});

describe('RNN errors', () => {
  it('a cell class of its own is an UNKNOWN_LAYER error naming the layer, the class and what to do', async () => {
    const e = await modelFromConfig(sequential([rnn('rnn', cell('MinimalRNNCell', { units: 2 }))]) as never).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ImporterError);
    expect((e as ImporterError).code).toBe('UNKNOWN_LAYER');
    expect((e as Error).message).toMatch(
      /RNN layer 'rnn' steps with cell of class "MinimalRNNCell"; Keraspect knows the built-in cells LSTMCell, GRUCell, SimpleRNNCell\. For a cell of your own, register the whole layer/,
    );
  });

  it('Bidirectional around stacked cells is refused by name (one cell loads)', async () => {
    const stack = stacked([cell('LSTMCell', { units: 2 }), cell('GRUCell', { units: 2, reset_after: true })]);
    const e = await modelFromConfig(
      sequential([{ class_name: 'Bidirectional', config: { name: 'bi', layer: rnn('rnn', stack) } }]) as never,
    ).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/Bidirectional layer 'bi' wraps an RNN of stacked cells \(StackedRNNCells\)/);
    const one = await modelFromConfig(
      sequential([
        { class_name: 'Bidirectional', config: { name: 'bi', layer: rnn('rnn', cell('LSTMCell', { units: 2 })) } },
      ]) as never,
    );
    expect(predict(one, x)[0].shape).toEqual([B, 4]);
    one.dispose();
  });

  it('stateful is refused as for the cell layers', async () => {
    const e = await modelFromConfig(
      sequential([rnn('rnn', cell('LSTMCell', { units: 2 }), { stateful: true })]) as never,
    ).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/stateful/);
  });
});
