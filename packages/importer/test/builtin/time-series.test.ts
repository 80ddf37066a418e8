import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ImporterError } from '../../src/errors.ts';
import { type KerasModel, modelFromConfig, predict } from '../../src/index.ts';
import { expectClose, rand } from './helpers.ts';

// Layer options of the official Keras time-series examples and common user code, each against a
// loop written from the Keras source (keras/src/layers/…, tf_keras/layers/…).

type LayerJson = { class_name: string; config: Record<string, unknown> };

async function model(shape: (number | null)[], layers: LayerJson[], keras = '3.9.2'): Promise<KerasModel> {
  return modelFromConfig(
    {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } }, ...layers],
      },
    } as never,
    { kerasVersion: keras },
  );
}

/** Run a one-input model on `x` of `shape` (batch included); the first output's shape and values. */
function run(km: KerasModel, x: number[], shape: number[]): { shape: number[]; data: Float32Array } {
  const [y] = predict(km, { data: Float32Array.from(x), shape });
  return { shape: y.shape as number[], data: y.data as Float32Array };
}

function setWeights(km: KerasModel, name: string, values: number[][]): void {
  const l = km.layer(name);
  l.setWeights(l.weights.map((w, i) => tf.tensor(values[i], w.shape as number[])));
}

/** x[b][c][t] of a (B, C, T) array laid out row-major. */
const at3 = (x: number[], d1: number, d2: number) => (b: number, i: number, j: number) => x[(b * d1 + i) * d2 + j];

describe("1-D pooling with data_format='channels_first' pools the last axis", () => {
  const B = 2;
  const C = 3;
  const T = 7;
  const x = rand(B * C * T, 21);
  const X = at3(x, C, T);

  /** TensorFlow's pooling: 'same' pads ⌊total/2⌋ before; an average counts the real steps only. */
  function pool(mode: 'max' | 'average', p: number, s: number, padding: 'valid' | 'same'): number[] {
    const L = padding === 'same' ? Math.ceil(T / s) : Math.floor((T - p) / s) + 1;
    const before = padding === 'same' ? Math.floor(Math.max((L - 1) * s + p - T, 0) / 2) : 0;
    const out: number[] = [];
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let o = 0; o < L; o++) {
          const vals: number[] = [];
          for (let j = 0; j < p; j++) {
            const t = o * s + j - before;
            if (t >= 0 && t < T) vals.push(X(b, c, t));
          }
          out.push(mode === 'max' ? Math.max(...vals) : vals.reduce((a, v) => a + v, 0) / vals.length);
        }
    return out;
  }

  const cases: ['MaxPooling1D' | 'AveragePooling1D', number, number, 'valid' | 'same'][] = [
    ['MaxPooling1D', 2, 2, 'valid'],
    ['MaxPooling1D', 2, 2, 'same'],
    ['MaxPooling1D', 3, 1, 'same'],
    ['AveragePooling1D', 2, 2, 'same'],
    ['AveragePooling1D', 3, 2, 'same'],
    ['AveragePooling1D', 3, 1, 'valid'],
  ];
  it.each(cases)('%s pool_size %i strides %i %s', async (cls, p, s, padding) => {
    const km = await model(
      [C, T],
      [
        {
          class_name: cls,
          config: { name: 'p', pool_size: [p], strides: [s], padding, data_format: 'channels_first' },
        },
      ],
    );
    const y = run(km, x, [B, C, T]);
    const want = pool(cls === 'MaxPooling1D' ? 'max' : 'average', p, s, padding);
    expect(y.shape).toEqual([B, C, want.length / (B * C)]);
    expect(km.summary()[1].outputShapes).toEqual([[null, C, want.length / (B * C)]]);
    expectClose(y.data, want);
    km.dispose();
  });
});

describe("GlobalAveragePooling1D / GlobalMaxPooling1D with data_format='channels_first'", () => {
  // keras.io timeseries_classification_transformer: GlobalAveragePooling1D(data_format="channels_first")
  // on the (batch, steps, features) output of the encoder averages each step over its features.
  const B = 2;
  const T = 4;
  const F = 3;
  const x = rand(B * T * F, 5);
  const X = at3(x, T, F);
  const over = (f: (v: number[]) => number) =>
    Array.from({ length: B * T }, (_, k) => f(Array.from({ length: F }, (_, j) => X(Math.floor(k / T), k % T, j))));

  for (const [cls, f] of [
    ['GlobalAveragePooling1D', (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length],
    ['GlobalMaxPooling1D', (v: number[]) => Math.max(...v)],
  ] as const) {
    it(`${cls}: over the last axis, keepdims (batch, channels, 1)`, async () => {
      const km = await model([T, F], [{ class_name: cls, config: { name: 'g', data_format: 'channels_first' } }]);
      const y = run(km, x, [B, T, F]);
      expect(y.shape).toEqual([B, T]);
      expectClose(y.data, over(f));
      km.dispose();
      const kd = await model(
        [T, F],
        [{ class_name: cls, config: { name: 'g', data_format: 'channels_first', keepdims: true } }],
      );
      const z = run(kd, x, [B, T, F]);
      expect(z.shape).toEqual([B, T, 1]);
      expect(kd.summary()[1].outputShapes).toEqual([[null, T, 1]]);
      expectClose(z.data, over(f));
      kd.dispose();
    });
  }
});

describe("Conv1D groups and data_format='channels_first'", () => {
  const B = 2;
  const T = 6;
  const F = 4;
  const x = rand(B * T * F, 9);

  /**
   * Keras' grouped convolution, 'valid' or 'causal': output channel o of group g = o / (C/G) reads
   * input channels g·F/G … (g+1)·F/G − 1 through kernel[j][i − g·F/G][o].
   */
  function conv(
    X: (b: number, t: number, i: number) => number,
    w: number[],
    bias: number[],
    k: number,
    C: number,
    G: number,
    d: number,
    causal: boolean,
  ): number[][][] {
    const fg = F / G;
    const cg = C / G;
    const pad = causal ? d * (k - 1) : 0;
    const L = causal ? T : T - d * (k - 1);
    return Array.from({ length: B }, (_, b) =>
      Array.from({ length: L }, (_, t) =>
        Array.from({ length: C }, (_, o) => {
          const g = Math.floor(o / cg);
          let acc = bias[o];
          for (let j = 0; j < k; j++) {
            const src = t + j * d - pad;
            if (src < 0) continue;
            for (let i = 0; i < fg; i++) acc += X(b, src, g * fg + i) * w[(j * fg + i) * C + o];
          }
          return acc;
        }),
      ),
    );
  }

  for (const [groups, C, d, padding] of [
    [2, 4, 1, 'valid'],
    [4, 8, 2, 'causal'],
    [1, 3, 2, 'causal'],
  ] as const) {
    it(`groups ${groups}, ${C} filters, dilation ${d}, ${padding}, both data formats`, async () => {
      const k = 3;
      const w = rand(k * (F / groups) * C, 3);
      const bias = rand(C, 4);
      const cfg = { name: 'c', filters: C, kernel_size: [k], groups, dilation_rate: [d], padding };
      const last = await model([T, F], [{ class_name: 'Conv1D', config: cfg }]);
      expect(last.layer('c').weights.map((v) => v.shape)).toEqual([[k, F / groups, C], [C]]);
      setWeights(last, 'c', [w, bias]);
      const want = conv(at3(x, T, F), w, bias, k, C, groups, d, padding === 'causal');
      const y = run(last, x, [B, T, F]);
      expectClose(y.data, want.flat(2));
      last.dispose();

      // The same numbers laid out (batch, channels, steps).
      const xt: number[] = [];
      for (let b = 0; b < B; b++)
        for (let i = 0; i < F; i++) for (let t = 0; t < T; t++) xt.push(x[(b * T + t) * F + i]);
      const first = await model([F, T], [{ class_name: 'Conv1D', config: { ...cfg, data_format: 'channels_first' } }]);
      setWeights(first, 'c', [w, bias]);
      const z = run(first, xt, [B, F, T]);
      const L = want[0].length;
      expect(z.shape).toEqual([B, C, L]);
      expect(first.summary()[1].outputShapes).toEqual([[null, C, L]]);
      const wantT: number[] = [];
      for (let b = 0; b < B; b++) for (let o = 0; o < C; o++) for (let t = 0; t < L; t++) wantT.push(want[b][t][o]);
      expectClose(z.data, wantT);
      first.dispose();
    });
  }

  it('channels_first applies the activation to the (batch, filters, steps) output, softmax over the steps', async () => {
    const km = await model(
      [2, 3],
      [
        {
          class_name: 'Conv1D',
          config: { name: 'c', filters: 1, kernel_size: 1, data_format: 'channels_first', activation: 'softmax' },
        },
      ],
    );
    setWeights(km, 'c', [[1, 0], [0]]);
    const y = run(km, [0, 1, 2, 5, 5, 5], [1, 2, 3]);
    const e = [0, 1, 2].map(Math.exp);
    const s = e.reduce((a, v) => a + v, 0);
    expectClose(
      y.data,
      e.map((v) => v / s),
    );
    km.dispose();
  });

  it('rejects groups that do not divide the channels, naming the layer', async () => {
    await expect(
      model([T, F], [{ class_name: 'Conv1D', config: { name: 'c', filters: 6, kernel_size: 1, groups: 3 } }]),
    ).rejects.toThrow(ImporterError);
    await expect(
      model([T, F], [{ class_name: 'Conv1D', config: { name: 'c', filters: 6, kernel_size: 1, groups: 3 } }]),
    ).rejects.toThrow(/Conv1D 'c'.*groups=3/);
  });
});

describe('LayerNormalization (axis lists, rms_scaling) and RMSNormalization', () => {
  const B = 2;
  const T = 3;
  const F = 4;
  const x = rand(B * T * F, 31).map((v, i) => v * (1 + (i % 5)));
  const groups = (axes: number[]) => {
    // Indices of x grouped by the positions on the axes not normalized.
    const out = new Map<string, number[]>();
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) {
          const pos = [b, t, f];
          const key = pos.map((p, a) => (axes.includes(a) ? '*' : p)).join(',');
          out.set(key, [...(out.get(key) ?? []), (b * T + t) * F + f]);
        }
    return [...out.values()];
  };
  const mean = (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length;

  /** y = (x − μ)/√(σ² + ε)·γ + β, or x/√(σ² + ε)·γ (rms_scaling), or x/√(mean x² + ε)·s; γ indexed by the axes. */
  function reference(
    axes: number[],
    eps: number,
    gamma: number[],
    beta: number[] | null,
    kind: 'ln' | 'rms_scaling' | 'rms',
  ) {
    const y = new Array<number>(x.length);
    for (const g of groups(axes)) {
      const v = g.map((i) => x[i]);
      const m = mean(v);
      const spread = kind === 'rms' ? mean(v.map((a) => a * a)) : mean(v.map((a) => (a - m) ** 2));
      g.forEach((i, k) => {
        const centered = kind === 'ln' ? x[i] - m : x[i];
        y[i] = (centered / Math.sqrt(spread + eps)) * gamma[k] + (beta ? beta[k] : 0);
      });
    }
    return y;
  }

  for (const axis of [[-1], [1, 2], [1]]) {
    const axes = axis.map((a) => (a < 0 ? a + 3 : a));
    const size = axes.reduce((a, c) => a * [B, T, F][c], 1);
    it(`axis ${JSON.stringify(axis)}: plain, rms_scaling (γ only, the variance), RMSNormalization`, async () => {
      const gamma = rand(size, 1).map((v) => v + 1.5);
      const beta = rand(size, 2);
      const ln = await model(
        [T, F],
        [{ class_name: 'LayerNormalization', config: { name: 'n', axis, epsilon: 1e-6 } }],
      );
      setWeights(ln, 'n', [gamma, beta]);
      expectClose(run(ln, x, [B, T, F]).data, reference(axes, 1e-6, gamma, beta, 'ln'), 1e-4);
      ln.dispose();

      const rs = await model(
        [T, F],
        [
          {
            class_name: 'LayerNormalization',
            config: { name: 'n', axis, epsilon: 0.01, rms_scaling: true, center: true },
          },
        ],
      );
      expect(rs.layer('n').weights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
        ['gamma', axes.map((a) => [B, T, F][a])],
      ]);
      setWeights(rs, 'n', [gamma]);
      expectClose(run(rs, x, [B, T, F]).data, reference(axes, 0.01, gamma, null, 'rms_scaling'), 1e-4);
      rs.dispose();

      if (axis.length === 1 && axis[0] === 1) return; // RMSNormalization broadcasts its scale from the last axis
      const rms = await model([T, F], [{ class_name: 'RMSNormalization', config: { name: 'n', axis } }]);
      expect(rms.layer('n').weights.map((w) => w.originalName.split('/').pop())).toEqual(['scale']);
      setWeights(rms, 'n', [gamma]);
      expectClose(run(rms, x, [B, T, F]).data, reference(axes, 1e-6, gamma, null, 'rms'), 1e-4);
      rms.dispose();
    });
  }
});
