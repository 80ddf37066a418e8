import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type KerasModel, modelFromConfig, predict } from '../src/index.ts';

// The Keras built-ins sequence models use that Keraspect lacked (Conv1DTranspose, Normalization,
// Rescaling, UnitNormalization, Identity, Conv2D and 2-D pooling), each against a closed form or a
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

describe('Rescaling, UnitNormalization, Identity', () => {
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
