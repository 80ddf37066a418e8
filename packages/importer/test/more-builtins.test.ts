import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../src/export/h5.ts';
import { type KerasModel, loadModel, modelFromConfig, predict } from '../src/index.ts';
import { h5 } from '../src/read/h5wasm.ts';

// The Keras built-ins sequence models use that Keraspect lacked (Conv1DTranspose, Normalization,
// Rescaling, UnitNormalization, Identity, Conv2D and 2-D pooling, ConvLSTM1D), each against a closed form or a
// loop written from Keras' definition.

type LayerJson = { class_name: string; config: Record<string, unknown> };

async function model(shape: number[], layer: LayerJson, keras = '2.4.0'): Promise<KerasModel> {
  return modelFromConfig(
    {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } }, layer],
      },
    } as never,
    { kerasVersion: keras },
  );
}

function setWeights(km: KerasModel, name: string, values: number[][]): void {
  const l = km.layer(name);
  l.setWeights(l.weights.map((w, i) => tf.tensor(values[i], w.shape as number[])));
}

function close(got: ArrayLike<number>, want: number[], tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i]), `[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(want[i])),
    );
}

const seq = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => Math.sin(seed + 0.9 * i));

describe('Conv1DTranspose', () => {
  /**
   * The loop definition: every input step t scatters x[t]·W[j] to step t·s + j·d of the full output
   * ((T − 1)·s + (k − 1)·d + 1 steps), which TensorFlow then crops to Keras' length L, starting at
   * ⌊max((T − 1)·s + k_eff − L, 0) / 2⌋ for 'same' and 0 for 'valid'.
   */
  function reference(
    x: number[][],
    W: number[][][],
    bias: number[],
    s: number,
    d: number,
    padding: 'valid' | 'same',
    L: number,
  ): number[][] {
    const T = x.length;
    const k = W.length;
    const kEff = (k - 1) * d + 1;
    const full = Array.from({ length: (T - 1) * s + kEff + L }, () => new Array(bias.length).fill(0));
    for (let t = 0; t < T; t++)
      for (let j = 0; j < k; j++)
        for (let o = 0; o < bias.length; o++)
          for (let i = 0; i < x[0].length; i++) full[t * s + j * d][o] += x[t][i] * W[j][o][i];
    const start = padding === 'same' ? Math.floor(Math.max((T - 1) * s + kEff - L, 0) / 2) : 0;
    return Array.from({ length: L }, (_, o) => full[start + o].map((v, c) => v + bias[c]));
  }

  const cases: [string, Record<string, unknown>, number][] = [
    ['valid, stride 1', { padding: 'valid' }, 5 + 2],
    ['valid, stride 2', { padding: 'valid', strides: 2 }, 5 * 2 + 1],
    ['same, stride 2', { padding: 'same', strides: 2 }, 10],
    ['same, stride 3', { padding: 'same', strides: 3 }, 15],
    ['dilation 2', { padding: 'valid', dilation_rate: 2 }, 5 + 4],
    ['output_padding 1, same, stride 2', { padding: 'same', strides: 2, output_padding: 1 }, (5 - 1) * 2 + 3 - 2 + 1],
  ];

  it.each(cases)('%s', async (_name, opts, length) => {
    const T = 5;
    const C = 2;
    const F = 3;
    const k = 3;
    const km = await model([T, C], {
      class_name: 'Conv1DTranspose',
      config: { name: 'ct', filters: F, kernel_size: k, ...opts },
    });
    const w = seq(k * F * C, 1);
    const b = [0.1, -0.2, 0.3];
    setWeights(km, 'ct', [w, b]);
    const x = seq(T * C, 2);
    const [y] = predict(km, { data: Float32Array.from(x), shape: [1, T, C] });
    expect(y.shape).toEqual([1, length, F]);
    expect(km.summary()[1].outputShapes).toEqual([[null, length, F]]);
    const W = Array.from({ length: k }, (_, j) =>
      Array.from({ length: F }, (_, o) => Array.from({ length: C }, (_, i) => w[(j * F + o) * C + i])),
    );
    const X = Array.from({ length: T }, (_, t) => x.slice(t * C, t * C + C));
    close(
      y.data,
      reference(
        X,
        W,
        b,
        (opts.strides as number) ?? 1,
        (opts.dilation_rate as number) ?? 1,
        opts.padding as 'valid',
        length,
      ).flat(),
    );
    km.dispose();
  });
});

describe('Normalization', () => {
  it('adapted per feature: (x − mean) / max(√variance, 1e-7), the stored count unused', async () => {
    const km = await model([2, 3], {
      class_name: 'Normalization',
      config: { name: 'n', axis: -1, mean: null, variance: null },
    });
    expect(km.layer('n').weights.map((w) => w.shape)).toEqual([[3], [3]]);
    setWeights(km, 'n', [
      [1, 2, 3],
      [4, 0.25, 0],
    ]);
    const [y] = predict(km, { data: Float32Array.of(3, 2, 3, -1, 3, 4), shape: [1, 2, 3] });
    close(y.data, [1, 0, 0, -1, 2, 1 / 1e-7]);
    km.dispose();
  });

  it('mean and variance from the config (scalar or per feature), invert, and axis=None', async () => {
    const fixed = await model([3], {
      class_name: 'Normalization',
      config: { name: 'n', axis: -1, mean: [1, 2, 3], variance: [1, 4, 16] },
    });
    close(predict(fixed, { data: Float32Array.of(2, 2, 11), shape: [1, 3] })[0].data, [1, 0, 2]);
    fixed.dispose();
    const inv = await model([2], {
      class_name: 'Normalization',
      config: { name: 'n', axis: -1, mean: 10, variance: 4, invert: true },
    });
    close(predict(inv, { data: Float32Array.of(1, -1), shape: [1, 2] })[0].data, [12, 8]);
    inv.dispose();
    const all = await model([2], {
      class_name: 'Normalization',
      config: { name: 'n', axis: null, mean: null, variance: null },
    });
    expect(all.layer('n').weights.map((w) => w.shape)).toEqual([[], []]);
    all.dispose();
  });
});

describe('Rescaling, UnitNormalization, Identity, GaussianNoise, GaussianDropout', () => {
  it('Rescaling: x · scale + offset', async () => {
    const km = await model([3], { class_name: 'Rescaling', config: { name: 'r', scale: 1 / 255, offset: -0.5 } });
    close(predict(km, { data: Float32Array.of(0, 255, 51), shape: [1, 3] })[0].data, [-0.5, 0.5, -0.3]);
    km.dispose();
  });

  it('UnitNormalization: x / ‖x‖ over the axis (also several axes)', async () => {
    const km = await model([2, 2], { class_name: 'UnitNormalization', config: { name: 'u', axis: -1 } }, '3.9.2');
    close(predict(km, { data: Float32Array.of(3, 4, 0, 2), shape: [1, 2, 2] })[0].data, [0.6, 0.8, 0, 1]);
    km.dispose();
    const both = await model([2, 2], { class_name: 'UnitNormalization', config: { name: 'u', axis: [1, 2] } });
    close(predict(both, { data: Float32Array.of(1, 1, 1, 1), shape: [1, 2, 2] })[0].data, [0.5, 0.5, 0.5, 0.5]);
    both.dispose();
  });

  it('Identity returns its input', async () => {
    const km = await model([3], { class_name: 'Identity', config: { name: 'i' } });
    expect(Array.from(predict(km, { data: Float32Array.of(1, -2, 3), shape: [1, 3] })[0].data)).toEqual([1, -2, 3]);
    km.dispose();
  });

  it('GaussianNoise and GaussianDropout are off at inference (Keras adds noise only when training)', async () => {
    for (const layer of [
      { class_name: 'GaussianNoise', config: { name: 'n', stddev: 5, seed: null } },
      { class_name: 'GaussianDropout', config: { name: 'd', rate: 0.5, seed: null } },
    ]) {
      const km = await model([3], layer);
      expect(Array.from(predict(km, { data: Float32Array.of(1, -2, 3), shape: [1, 3] })[0].data)).toEqual([1, -2, 3]);
      km.dispose();
    }
  });
});

describe('Conv2D and 2-D pooling (channels_last)', () => {
  const H = 4;
  const W = 5;
  const C = 2;
  const x = seq(H * W * C, 3);
  const at = (h: number, w: number, c: number) => (h < 0 || w < 0 || h >= H || w >= W ? 0 : x[(h * W + w) * C + c]);

  it('Conv2D: valid and same padding, strides and dilation, as the sum over the window', async () => {
    for (const [padding, stride, dil] of [
      ['valid', 1, 1],
      ['same', 2, 1],
      ['valid', 1, 2],
    ] as const) {
      const F = 2;
      const k = 2;
      const km = await model([H, W, C], {
        class_name: 'Conv2D',
        config: {
          name: 'c',
          filters: F,
          kernel_size: [k, k],
          strides: [stride, stride],
          padding,
          dilation_rate: [dil, dil],
        },
      });
      const kern = seq(k * k * C * F, 4);
      const bias = [0.5, -0.5];
      setWeights(km, 'c', [kern, bias]);
      const [y] = predict(km, { data: Float32Array.from(x), shape: [1, H, W, C] });
      const kEff = (k - 1) * dil + 1;
      const outH = padding === 'same' ? Math.ceil(H / stride) : Math.floor((H - kEff) / stride) + 1;
      const outW = padding === 'same' ? Math.ceil(W / stride) : Math.floor((W - kEff) / stride) + 1;
      const padTop = padding === 'same' ? Math.floor(Math.max((outH - 1) * stride + kEff - H, 0) / 2) : 0;
      const padLeft = padding === 'same' ? Math.floor(Math.max((outW - 1) * stride + kEff - W, 0) / 2) : 0;
      const want: number[] = [];
      for (let i = 0; i < outH; i++)
        for (let j = 0; j < outW; j++)
          for (let f = 0; f < F; f++) {
            let s = bias[f];
            for (let a = 0; a < k; a++)
              for (let b = 0; b < k; b++)
                for (let c = 0; c < C; c++)
                  s +=
                    at(i * stride + a * dil - padTop, j * stride + b * dil - padLeft, c) *
                    kern[((a * k + b) * C + c) * F + f];
            want.push(s);
          }
      expect(y.shape).toEqual([1, outH, outW, F]);
      close(y.data, want);
      km.dispose();
    }
  });

  it('MaxPooling2D and AveragePooling2D over 2×2 windows', async () => {
    for (const cls of ['MaxPooling2D', 'AveragePooling2D']) {
      const km = await model([H, W, C], { class_name: cls, config: { name: 'p', pool_size: [2, 2] } });
      const [y] = predict(km, { data: Float32Array.from(x), shape: [1, H, W, C] });
      const want: number[] = [];
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 2; j++)
          for (let c = 0; c < C; c++) {
            const win = [
              at(2 * i, 2 * j, c),
              at(2 * i + 1, 2 * j, c),
              at(2 * i, 2 * j + 1, c),
              at(2 * i + 1, 2 * j + 1, c),
            ];
            want.push(cls === 'MaxPooling2D' ? Math.max(...win) : win.reduce((a, b) => a + b, 0) / 4);
          }
      expect(y.shape).toEqual([1, 2, 2, C]);
      close(y.data, want);
      km.dispose();
    }
  });

  it('GlobalAveragePooling2D and GlobalMaxPooling2D, with keepdims', async () => {
    const mean = [0, 1].map((c) => x.filter((_, i) => i % C === c).reduce((a, b) => a + b, 0) / (H * W));
    const max = [0, 1].map((c) => Math.max(...x.filter((_, i) => i % C === c)));
    const avg = await model([H, W, C], { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } });
    close(predict(avg, { data: Float32Array.from(x), shape: [1, H, W, C] })[0].data, mean);
    avg.dispose();
    const mx = await model([H, W, C], { class_name: 'GlobalMaxPooling2D', config: { name: 'g', keepdims: true } });
    const [y] = predict(mx, { data: Float32Array.from(x), shape: [1, H, W, C] });
    expect(y.shape).toEqual([1, 1, 1, C]);
    close(y.data, max);
    mx.dispose();
  });
});

describe('ConvLSTM1D', () => {
  type Step = number[][]; // rows × channels
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));

  /** One 1-D convolution (TensorFlow's padding: 'same' puts ⌊total/2⌋ before) of `x` with W[j][c][o]. */
  function conv(x: Step, W: number[][][], s: number, d: number, padding: 'valid' | 'same'): Step {
    const rows = x.length;
    const k = W.length;
    const kEff = (k - 1) * d + 1;
    const out = padding === 'same' ? Math.ceil(rows / s) : Math.floor((rows - kEff) / s) + 1;
    const before = padding === 'same' ? Math.floor(Math.max((out - 1) * s + kEff - rows, 0) / 2) : 0;
    return Array.from({ length: out }, (_, r) =>
      Array.from({ length: W[0][0].length }, (_, o) => {
        let z = 0;
        for (let j = 0; j < k; j++) {
          const at = r * s + j * d - before;
          if (at >= 0 && at < rows) for (let c = 0; c < x[at].length; c++) z += x[at][c] * W[j][c][o];
        }
        return z;
      }),
    );
  }

  /** Keras' ConvLSTM1D step by step: gates i, f, c, o of conv(x_t, W) + b + conv_same(h, U). */
  function reference(
    xs: Step[],
    W: number[][][],
    U: number[][][],
    b: number[],
    o: { s: number; d: number; padding: 'valid' | 'same'; rec: (v: number) => number; sequences: boolean },
  ): Step[] {
    const f = b.length / 4;
    let h: Step | null = null;
    let c: Step | null = null;
    const outs: Step[] = [];
    for (const x of xs) {
      const zx = conv(x, W, o.s, o.d, o.padding);
      h ??= zx.map(() => new Array(f).fill(0));
      c ??= zx.map(() => new Array(f).fill(0));
      const zh = conv(h, U, 1, 1, 'same');
      const gate = (r: number, g: number, u: number) => zx[r][g * f + u] + b[g * f + u] + zh[r][g * f + u];
      const cPrev: Step = c;
      c = zx.map((_, r) =>
        Array.from(
          { length: f },
          (_, u) => o.rec(gate(r, 1, u)) * cPrev[r][u] + o.rec(gate(r, 0, u)) * Math.tanh(gate(r, 2, u)),
        ),
      );
      const cNow: Step = c;
      h = zx.map((_, r) => Array.from({ length: f }, (_, u) => o.rec(gate(r, 3, u)) * Math.tanh(cNow[r][u])));
      outs.push(h);
    }
    return o.sequences ? outs : [outs[outs.length - 1]];
  }

  it.each([
    ['valid, last step, Keras 2 (hard_sigmoid)', { s: 1, d: 1, padding: 'valid', sequences: false, keras: '2.11.0' }],
    ['same, strides 2, sequences, Keras 3 (sigmoid)', { s: 2, d: 1, padding: 'same', sequences: true, keras: '3.9.2' }],
    ['same, dilation 2, sequences', { s: 1, d: 2, padding: 'same', sequences: true, keras: '3.9.2' }],
  ] as const)('%s: equals the step-by-step definition', async (_label, o) => {
    const [B, T, R, C, F, K] = [2, 4, 7, 2, 3, 3];
    const W = Array.from({ length: K }, (_, j) =>
      Array.from({ length: C }, (_, c) => seq(4 * F, 10 * j + c).map((v) => 0.5 * v)),
    );
    const U = Array.from({ length: K }, (_, j) =>
      Array.from({ length: F }, (_, c) => seq(4 * F, 50 + 10 * j + c).map((v) => 0.4 * v)),
    );
    const b = seq(4 * F, 99).map((v) => 0.3 * v);
    const config = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, R, C] } },
          {
            class_name: 'ConvLSTM1D',
            config: {
              name: 'conv_lstm1d',
              filters: F,
              kernel_size: [K],
              strides: [o.s],
              padding: o.padding,
              data_format: 'channels_last',
              dilation_rate: [o.d],
              activation: 'tanh',
              ...(o.keras.startsWith('2') ? {} : { recurrent_activation: 'sigmoid' }),
              use_bias: true,
              return_sequences: o.sequences,
              return_state: false,
              go_backwards: false,
              stateful: false,
              dropout: 0,
              recurrent_dropout: 0,
            },
          },
        ],
      },
    };
    await h5();
    const weights = [
      { name: 'conv_lstm1d/kernel:0', shape: [K, C, 4 * F], data: Float32Array.from(W.flat(2)) },
      { name: 'conv_lstm1d/recurrent_kernel:0', shape: [K, F, 4 * F], data: Float32Array.from(U.flat(2)) },
      { name: 'conv_lstm1d/bias:0', shape: [4 * F], data: Float32Array.from(b) },
    ];
    const bytes = writeKerasH5({
      modelConfig: config as never,
      kerasVersion: o.keras,
      layers: [
        { name: 'x', weights: [] },
        { name: 'conv_lstm1d', weights },
      ],
    });
    const km = await loadModel(bytes);
    try {
      const xs = Array.from({ length: B }, (_, bi) =>
        Array.from({ length: T }, (_, t) => Array.from({ length: R }, (_, r) => seq(C, 7 * bi + 3 * t + r))),
      );
      const [y] = predict(km, { data: Float32Array.from(xs.flat(3)), shape: [B, T, R, C] });
      const rec = o.keras.startsWith('2') ? hardSigmoid : sigmoid;
      const want = xs.flatMap((x) =>
        reference(x, W, U, b, { s: o.s, d: o.d, padding: o.padding, rec, sequences: o.sequences }).flat(2),
      );
      const rows = o.padding === 'same' ? Math.ceil(R / o.s) : R - K + 1;
      expect(y.shape).toEqual(o.sequences ? [B, T, rows, F] : [B, rows, F]);
      close(y.data, want, 1e-5);
    } finally {
      km.dispose();
    }
  });
});
