import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../src/export/h5.ts';
import { ImporterError } from '../src/errors.ts';
import { loadModel, predict } from '../src/index.ts';
import type { WeightArray } from '../src/layers/port.ts';
import { h5 } from '../src/read/h5wasm.ts';
import { expectClose, hardSigmoid2, rand, seededWeight as w } from './builtin/helpers.ts';

// Keras 1 model files as Keras 1.2 saved them: a list-style Sequential config in Keras 1 argument
// names (`output_dim`, `nb_filter`, `filter_length`, `pool_length`, `inner_activation`, `p`, …), the
// class alias `Convolution1D`, LSTM's twelve per-gate arrays and Conv1D's 4-D kernel. Keras 2 loads
// them through keras/legacy/interfaces.py and `preprocess_weights_for_loading`; the expected values
// are plain loops of the Keras 2 layers on the weights converted as that function does.

const B = 2;
const T = 5;
const F = 3;
const NF = 2; // filters
const K = 2; // filter_length
const U = 2; // LSTM units

beforeAll(async () => {
  await h5();
});

/** at(w, i, j, …): row-major element of a WeightArray. */
function at(a: WeightArray, ...i: number[]): number {
  let k = 0;
  for (let d = 0; d < a.shape.length; d++) k = k * a.shape[d] + i[d];
  return a.data[k];
}

function keras1Config() {
  return {
    class_name: 'Sequential',
    keras_version: '1.2.2',
    config: [
      {
        class_name: 'Convolution1D',
        config: {
          name: 'convolution1d_1',
          batch_input_shape: [null, T, F],
          input_dtype: 'float32',
          nb_filter: NF,
          filter_length: K,
          subsample_length: 1,
          border_mode: 'valid',
          activation: 'relu',
          init: 'glorot_uniform',
          W_regularizer: null,
          b_regularizer: null,
          bias: true,
          input_dim: F,
          input_length: T,
          trainable: true,
        },
      },
      {
        class_name: 'MaxPooling1D',
        config: { name: 'maxpooling1d_1', pool_length: 2, stride: null, border_mode: 'valid', trainable: true },
      },
      {
        class_name: 'LSTM',
        config: {
          name: 'lstm_1',
          output_dim: U,
          activation: 'tanh',
          inner_activation: 'hard_sigmoid',
          init: 'glorot_uniform',
          inner_init: 'orthogonal',
          forget_bias_init: 'one',
          consume_less: 'gpu',
          dropout_W: 0.0,
          dropout_U: 0.0,
          W_regularizer: null,
          U_regularizer: null,
          b_regularizer: null,
          return_sequences: true,
          go_backwards: false,
          stateful: false,
          unroll: false,
          input_dim: NF,
          input_length: null,
          trainable: true,
        },
      },
      { class_name: 'Dropout', config: { name: 'dropout_1', p: 0.5, trainable: true } },
      {
        class_name: 'TimeDistributed',
        config: {
          name: 'timedistributed_1',
          trainable: true,
          layer: {
            class_name: 'Dense',
            config: {
              name: 'dense_1',
              output_dim: 1,
              activation: 'linear',
              init: 'glorot_uniform',
              bias: true,
              W_regularizer: null,
              b_regularizer: null,
              input_dim: null,
              trainable: true,
            },
          },
        },
      },
    ],
  };
}

const gates = ['i', 'c', 'f', 'o'] as const;
const lstmParts = gates.flatMap((g, gi) => [
  w(`lstm_1_W_${g}`, [NF, U], 10 + gi),
  w(`lstm_1_U_${g}`, [U, U], 20 + gi),
  w(`lstm_1_b_${g}`, [U], 30 + gi),
]);
const convK3 = w('k3', [K, F, NF], 1); // Keras 2 layout (k, F, filters)
const convB = w('convolution1d_1_b', [NF], 2);
const denseW = w('dense_1_W', [U, 1], 3);
const denseB = w('dense_1_b', [1], 4);

/** The Keras 1 kernel (k, 1, F, filters) or Keras 1.1's (filters, F, k, 1) holding `convK3`. */
function convKernel(layout: 'tf' | 'th'): WeightArray {
  const shape = layout === 'tf' ? [K, 1, F, NF] : [NF, F, K, 1];
  const data = new Float32Array(K * F * NF);
  for (let t = 0; t < K; t++)
    for (let f = 0; f < F; f++)
      for (let o = 0; o < NF; o++) {
        const v = at(convK3, t, f, o);
        if (layout === 'tf') data[(t * F + f) * NF + o] = v;
        else data[(o * F + f) * K + t] = v;
      }
  return { name: 'convolution1d_1_W', shape, data };
}

function file(kernel: WeightArray): Uint8Array {
  return writeKerasH5({
    modelConfig: keras1Config() as never,
    kerasVersion: '1.2.2',
    layers: [
      { name: 'convolution1d_1', weights: [kernel, convB] },
      { name: 'maxpooling1d_1', weights: [] },
      { name: 'lstm_1', weights: lstmParts },
      { name: 'dropout_1', weights: [] },
      { name: 'timedistributed_1', weights: [denseW, denseB] },
    ],
  });
}

/** Conv1D(valid, relu) → MaxPooling1D(2) → LSTM(hard_sigmoid, return_sequences) → Dense, per sample. */
function reference(x: number[][]): number[] {
  const conv = Array.from({ length: T - K + 1 }, (_, t) =>
    Array.from({ length: NF }, (_, o) => {
      let s = convB.data[o];
      for (let j = 0; j < K; j++) for (let f = 0; f < F; f++) s += x[t + j][f] * at(convK3, j, f, o);
      return Math.max(0, s);
    }),
  );
  const pooled = Array.from({ length: Math.floor(conv.length / 2) }, (_, t) =>
    conv[2 * t].map((v, o) => Math.max(v, conv[2 * t + 1][o])),
  );
  const part = (g: number, kind: 0 | 1 | 2) => lstmParts[3 * g + kind];
  let h = new Array(U).fill(0);
  let c = new Array(U).fill(0);
  const out: number[] = [];
  for (const xt of pooled) {
    // z for gate g (Keras 1 order i, c, f, o)
    const z = (g: number, u: number) => {
      let s = part(g, 2).data[u];
      for (let f = 0; f < NF; f++) s += xt[f] * at(part(g, 0), f, u);
      for (let v = 0; v < U; v++) s += h[v] * at(part(g, 1), v, u);
      return s;
    };
    const i = h.map((_, u) => hardSigmoid2(z(0, u)));
    const g = h.map((_, u) => Math.tanh(z(1, u)));
    const fg = h.map((_, u) => hardSigmoid2(z(2, u)));
    const o = h.map((_, u) => hardSigmoid2(z(3, u)));
    c = c.map((cv, u) => fg[u] * cv + i[u] * g[u]);
    h = c.map((cv, u) => o[u] * Math.tanh(cv));
    out.push(denseB.data[0] + h.reduce((s, hv, u) => s + hv * at(denseW, u, 0), 0));
  }
  return out;
}

describe('Keras 1 files', () => {
  const xs = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => Array.from({ length: F }, (_, f) => rand(1, 100 + 17 * b + 5 * t + f)[0] * 2)),
  );
  for (const layout of ['tf', 'th'] as const) {
    it(`loads a Keras 1.2 Sequential (Convolution1D kernel ${layout === 'tf' ? '(k, 1, F, filters)' : "Keras 1.1's (filters, F, k, 1)"}, 12-array LSTM, Keras 1 argument names) as Keras 2 does`, async () => {
      const km = await loadModel(file(convKernel(layout)));
      try {
        const [y] = predict(km, { data: Float32Array.from(xs.flat(2)), shape: [B, T, F] });
        expect(y.shape).toEqual([B, 2, 1]);
        expectClose(y.data, xs.flatMap(reference), 1e-5);
      } finally {
        km.dispose();
      }
    });
  }

  it('names the layer when a 4-D Conv1D kernel is in neither Keras 1 layout', async () => {
    const bad: WeightArray = {
      name: 'convolution1d_1_W',
      shape: [K, 2, F, NF],
      data: new Float32Array(2 * K * F * NF),
    };
    const e = await loadModel(file(bad)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ImporterError);
    expect((e as ImporterError).code).toBe('WEIGHT_MISMATCH');
    expect((e as ImporterError).message).toMatch(/Layer 'convolution1d_1' \(Conv1D\): the 4-D kernel \[2,2,3,2\]/);
  });
});

describe('Keras 1 GRU', () => {
  // Keras 1 stores a GRU as nine arrays, (W, U, b) per gate in the order z, r, h; Keras 2 joins them
  // into kernel, recurrent_kernel and bias (preprocess_weights_for_loading). Keras 1's GRU applies
  // the reset gate before the recurrent product (Keras 2's reset_after = false).
  const gruGates = ['z', 'r', 'h'] as const;
  const gruParts = gruGates.flatMap((g, gi) => [
    w(`gru_1_W_${g}`, [F, U], 40 + gi),
    w(`gru_1_U_${g}`, [U, U], 50 + gi),
    w(`gru_1_b_${g}`, [U], 60 + gi),
  ]);

  function gruFile(): Uint8Array {
    return writeKerasH5({
      modelConfig: {
        class_name: 'Sequential',
        keras_version: '1.2.2',
        config: [
          {
            class_name: 'GRU',
            config: {
              name: 'gru_1',
              batch_input_shape: [null, T, F],
              output_dim: U,
              activation: 'tanh',
              inner_activation: 'hard_sigmoid',
              init: 'glorot_uniform',
              inner_init: 'orthogonal',
              consume_less: 'gpu',
              dropout_W: 0.0,
              dropout_U: 0.0,
              return_sequences: false,
              go_backwards: false,
              stateful: false,
              unroll: false,
              input_dim: F,
              trainable: true,
            },
          },
          {
            class_name: 'Dense',
            config: { name: 'dense_1', output_dim: 1, activation: 'linear', bias: true, trainable: true },
          },
        ],
      } as never,
      kerasVersion: '1.2.2',
      layers: [
        { name: 'gru_1', weights: gruParts },
        { name: 'dense_1', weights: [denseW, denseB] },
      ],
    });
  }

  function gruReference(x: number[][]): number {
    const part = (g: number, kind: 0 | 1 | 2) => gruParts[3 * g + kind];
    let h = new Array(U).fill(0);
    for (const xt of x) {
      const xin = (g: number, u: number) => {
        let s = part(g, 2).data[u];
        for (let f = 0; f < F; f++) s += xt[f] * at(part(g, 0), f, u);
        return s;
      };
      const rec = (g: number, u: number, hv: number[]) => {
        let s = 0;
        for (let v = 0; v < U; v++) s += hv[v] * at(part(g, 1), v, u);
        return s;
      };
      const z = h.map((_, u) => hardSigmoid2(xin(0, u) + rec(0, u, h)));
      const r = h.map((_, u) => hardSigmoid2(xin(1, u) + rec(1, u, h)));
      const rh = h.map((hv, u) => r[u] * hv);
      const hh = h.map((_, u) => Math.tanh(xin(2, u) + rec(2, u, rh)));
      h = h.map((hv, u) => z[u] * hv + (1 - z[u]) * hh[u]);
    }
    return denseB.data[0] + h.reduce((s, hv, u) => s + hv * at(denseW, u, 0), 0);
  }

  it('joins the nine per-gate arrays in z, r, h order and computes the reset gate before the recurrent product', async () => {
    const xs = Array.from({ length: B }, (_, b) =>
      Array.from({ length: T }, (_, t) =>
        Array.from({ length: F }, (_, f) => rand(1, 400 + 13 * b + 7 * t + f)[0] * 2),
      ),
    );
    const km = await loadModel(gruFile());
    try {
      const [y] = predict(km, { data: Float32Array.from(xs.flat(2)), shape: [B, T, F] });
      expect(y.shape).toEqual([B, 1]);
      expectClose(y.data, xs.map(gruReference), 1e-5);
    } finally {
      km.dispose();
    }
  });
});

describe('Keras 1 weights inside TimeDistributed', () => {
  it("converts a wrapped Convolution1D's 4-D kernel as Keras 2 does (convert_nested_time_distributed)", async () => {
    const S = 2; // TimeDistributed steps
    const bytes = writeKerasH5({
      modelConfig: {
        class_name: 'Sequential',
        config: [
          {
            class_name: 'TimeDistributed',
            config: {
              name: 'timedistributed_1',
              batch_input_shape: [null, S, T, F],
              layer: {
                class_name: 'Convolution1D',
                config: {
                  name: 'convolution1d_1',
                  nb_filter: NF,
                  filter_length: K,
                  border_mode: 'valid',
                  activation: 'linear',
                  bias: true,
                },
              },
            },
          },
        ],
      } as never,
      kerasVersion: '1.2.2',
      layers: [{ name: 'timedistributed_1', weights: [convKernel('tf'), convB] }],
    });
    const km = await loadModel(bytes);
    try {
      const x = Array.from({ length: S * T * F }, (_, i) => rand(1, 300 + i)[0]);
      const [y] = predict(km, { data: Float32Array.from(x), shape: [1, S, T, F] });
      const want: number[] = [];
      for (let s = 0; s < S; s++)
        for (let t = 0; t + K <= T; t++)
          for (let o = 0; o < NF; o++) {
            let v = convB.data[o];
            for (let j = 0; j < K; j++)
              for (let f = 0; f < F; f++) v += x[(s * T + t + j) * F + f] * at(convK3, j, f, o);
            want.push(v);
          }
      expect(y.shape).toEqual([1, S, T - K + 1, NF]);
      expectClose(y.data, want, 1e-5);
    } finally {
      km.dispose();
    }
  });
});

describe('layers that convert Keras 1 weights still export their own', () => {
  it('a Conv1D → LSTM → GRU model built in code writes to .h5 and reads back equal', async () => {
    const { modelFromConfig, toKerasH5 } = await import('../src/index.ts');
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, F] } },
          { class_name: 'Conv1D', config: { name: 'c', filters: NF, kernel_size: K } },
          { class_name: 'LSTM', config: { name: 'l', units: U, return_sequences: true } },
          { class_name: 'GRU', config: { name: 'g', units: U, reset_after: true } },
        ],
      },
    });
    for (const name of ['c', 'l', 'g']) {
      const layer = km.layer(name);
      layer.setWeights(layer.getWeights().map((t, i) => t.add(0.1 * (i + 1)).sin()));
    }
    const x = { data: Float32Array.from(rand(B * T * F, 3)), shape: [B, T, F] };
    const again = await loadModel(await toKerasH5(km));
    expectClose(Array.from(predict(again, x)[0].data), Array.from(predict(km, x)[0].data), 1e-6);
    km.dispose();
    again.dispose();
  });
});
