import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import { conv1dPort, type KerasConv1D } from '../../src/layers/builtin/conv1d.ts';
import { mergePort } from '../../src/layers/builtin/merge.ts';
import { type KerasSeparableConv1D, separableConv1dPort } from '../../src/layers/builtin/separable-conv1d.ts';
import { ctx, expectClose, rand, roundTrip } from './helpers.ts';

const B = 2;
const T = 6;
const F = 2;
const x = rand(B * T * F, 7);
const X = () => tf.tensor3d(x, [B, T, F]);
const xa = (b: number, t: number, f: number) => (t < 0 || t >= T ? 0 : x[(b * T + t) * F + f]);

describe('SeparableConv1D', () => {
  const K = 3;
  const DM = 2;
  const FO = 3;
  const dw = rand(K * F * DM, 8);
  const pw = rand(F * DM * FO, 9);
  const bias = rand(FO, 10);

  /** Depthwise then pointwise, output step o reading input steps start + o·stride + i·dilation. */
  function ref(start: (o: number) => number, steps: number, stride: number, dil: number): number[] {
    const out: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < steps; o++) {
        const depth: number[] = [];
        for (let f = 0; f < F; f++) {
          for (let m = 0; m < DM; m++) {
            let acc = 0;
            for (let i = 0; i < K; i++)
              acc += xa(b, start(o) + o * (stride - 1) + i * dil, f) * dw[(i * F + f) * DM + m];
            depth.push(acc);
          }
        }
        for (let c = 0; c < FO; c++) {
          let acc = bias[c];
          for (let j = 0; j < F * DM; j++) acc += depth[j] * pw[j * FO + c];
          out.push(Math.max(0, acc));
        }
      }
    }
    return out;
  }

  function build(padding: string, strides: number, dilation: number): KerasSeparableConv1D {
    const layer = separableConv1dPort.build(
      {
        name: 'sep',
        filters: FO,
        kernel_size: [K],
        strides: [strides],
        padding,
        dilation_rate: [dilation],
        depth_multiplier: DM,
        activation: 'relu',
        use_bias: true,
        data_format: 'channels_last',
      },
      ctx(),
    ) as KerasSeparableConv1D;
    layer.build([null, T, F]);
    layer.setWeights([tf.tensor3d(dw, [K, F, DM]), tf.tensor3d(pw, [1, F * DM, FO]), tf.tensor1d(bias)]);
    return layer;
  }

  it('causal with dilation 2 left-pads 4 steps', () => {
    const layer = build('causal', 1, 2);
    const y = layer.apply(X()) as tf.Tensor;
    expect(y.shape).toEqual([B, T, FO]);
    expect(layer.computeOutputShape([null, T, F])).toEqual([null, T, FO]);
    expectClose(
      y.dataSync(),
      ref((o) => o - 4, T, 1, 2),
    );
    expect(layer.weights.map((w) => w.originalName.split('/').pop())).toEqual([
      'depthwise_kernel',
      'pointwise_kernel',
      'bias',
    ]);
    const g = tf.grad((inp: tf.Tensor) => tf.sum(layer.apply(inp) as tf.Tensor))(X());
    expect(g.shape).toEqual([B, T, F]);
  });

  it('valid with stride 2, and same', () => {
    const v = build('valid', 2, 1);
    const yv = v.apply(X()) as tf.Tensor;
    expect(yv.shape).toEqual([B, 2, FO]);
    expectClose(
      yv.dataSync(),
      ref((o) => o, 2, 2, 1),
    );
    const s = build('same', 1, 1);
    expectClose(
      (s.apply(X()) as tf.Tensor).dataSync(),
      ref((o) => o - 1, T, 1, 1),
    );
    const clone = roundTrip(s);
    clone.build([null, T, F]);
    clone.setWeights(s.getWeights());
    expectClose((clone.apply(X()) as tf.Tensor).dataSync(), (s.apply(X()) as tf.Tensor).dataSync());
  });
});

describe('Conv1D causal', () => {
  it('left-pads dilation·(k − 1) and convolves valid', () => {
    const K = 2;
    const kernel = rand(K * F * 1, 11);
    const layer = conv1dPort.build(
      {
        name: 'c',
        filters: 1,
        kernel_size: [K],
        padding: 'causal',
        dilation_rate: [3],
        strides: [1],
        activation: 'linear',
        use_bias: false,
      },
      ctx(),
    ) as KerasConv1D;
    layer.build([null, T, F]);
    layer.setWeights([tf.tensor3d(kernel, [K, F, 1])]);
    const y = layer.apply(X()) as tf.Tensor;
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        let acc = 0;
        for (let i = 0; i < K; i++) for (let f = 0; f < F; f++) acc += xa(b, t - 3 + 3 * i, f) * kernel[i * F + f];
        expected.push(acc);
      }
    }
    expectClose(y.dataSync(), expected);
    const g = tf.grad((inp: tf.Tensor) => tf.sum(layer.apply(inp) as tf.Tensor))(X());
    expect(g.shape).toEqual([B, T, F]);
  });
});

describe('UpSampling1D, Cropping1D, ZeroPadding1D', () => {
  const build = (cls: string, config: Record<string, unknown>) => {
    const c = { name: cls.toLowerCase(), ...config };
    return portFor(cls, c).build(c, ctx());
  };

  it('UpSampling1D repeats each step', () => {
    const layer = build('UpSampling1D', { size: 3 });
    const y = layer.apply(X()) as tf.Tensor;
    expect(y.shape).toEqual([B, 3 * T, F]);
    const expected: number[] = [];
    for (let b = 0; b < B; b++)
      for (let t = 0; t < 3 * T; t++) for (let f = 0; f < F; f++) expected.push(xa(b, Math.floor(t / 3), f));
    expectClose(y.dataSync(), expected);
    expect(layer.computeOutputShape([null, T, F])).toEqual([null, 3 * T, F]);
    expect(roundTrip(layer).getConfig()).toEqual(layer.getConfig());
  });

  it('Cropping1D drops steps at both ends', () => {
    const layer = build('Cropping1D', { cropping: [1, 2] });
    const y = layer.apply(X()) as tf.Tensor;
    const expected: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 1; t < T - 2; t++) for (let f = 0; f < F; f++) expected.push(xa(b, t, f));
    expectClose(y.dataSync(), expected);
    expect(layer.computeOutputShape([null, T, F])).toEqual([null, T - 3, F]);
  });

  it('ZeroPadding1D pads zeros (an int means both sides)', () => {
    const layer = build('ZeroPadding1D', { padding: 2 });
    const y = layer.apply(X()) as tf.Tensor;
    const expected: number[] = [];
    for (let b = 0; b < B; b++) for (let t = -2; t < T + 2; t++) for (let f = 0; f < F; f++) expected.push(xa(b, t, f));
    expectClose(y.dataSync(), expected);
    expect(roundTrip(layer).getConfig()).toEqual(layer.getConfig());
  });
});

describe('Subtract and Keras 1 Merge', () => {
  const a = [1, -2, 3, 0.5, 2, -1];
  const b = [0.5, 4, -1, 2, 2, 3];
  const A = () => tf.tensor2d(a, [2, 3]);
  const Bt = () => tf.tensor2d(b, [2, 3]);

  it('Subtract in a functional model, with masks ANDed', () => {
    const layer = portFor('Subtract', { name: 'x' }).build({ name: 'sub' }, ctx());
    const i1 = tf.input({ shape: [3] });
    const i2 = tf.input({ shape: [3] });
    const model = tf.model({ inputs: [i1, i2], outputs: layer.apply([i1, i2]) as tf.SymbolicTensor });
    expectClose(
      (model.predict([A(), Bt()]) as tf.Tensor).dataSync(),
      a.map((v, i) => v - b[i]),
    );
    const m = layer.computeMask([A(), Bt()], [tf.tensor1d([1, 0], 'bool'), tf.tensor1d([1, 1], 'bool')]);
    expect(Array.from((m as tf.Tensor).dataSync())).toEqual([1, 0]);
  });

  it('every Merge mode', () => {
    const run = (config: Record<string, unknown>) =>
      Array.from((mergePort.build({ name: 'merge_1', ...config }, ctx()).apply([A(), Bt()]) as tf.Tensor).dataSync());
    expectClose(
      run({ mode: 'sum' }),
      a.map((v, i) => v + b[i]),
    );
    expectClose(
      run({ mode: 'mul' }),
      a.map((v, i) => v * b[i]),
    );
    expectClose(
      run({ mode: 'ave' }),
      a.map((v, i) => (v + b[i]) / 2),
    );
    expectClose(
      run({ mode: 'max' }),
      a.map((v, i) => Math.max(v, b[i])),
    );
    expectClose(run({ mode: 'concat', concat_axis: -1 }), [
      ...a.slice(0, 3),
      ...b.slice(0, 3),
      ...a.slice(3),
      ...b.slice(3),
    ]);
    expectClose(run({ mode: 'concat', concat_axis: 0 }), [...a, ...b]);
    const dots = [0, 1].map((r) => a.slice(3 * r, 3 * r + 3).reduce((s, v, i) => s + v * b[3 * r + i], 0));
    const norm = (v: number[], r: number) => Math.sqrt(v.slice(3 * r, 3 * r + 3).reduce((s, q) => s + q * q, 0));
    expectClose(run({ mode: 'dot', dot_axes: 1 }), dots);
    expectClose(
      run({ mode: 'cos', dot_axes: [1, 1] }),
      dots.map((d, r) => d / (norm(a, r) * norm(b, r))),
    );
    const m = mergePort.build({ name: 'm', mode: 'cos', dot_axes: -1 }, ctx());
    expect(
      m.computeOutputShape([
        [null, 3],
        [null, 3],
      ]),
    ).toEqual([null, 1]);
    expect(() => mergePort.build({ name: 'm', mode: 'lambda_bytes', mode_type: 'lambda' }, ctx())).toThrow(
      /'mode'.*never run/,
    );
    expect(() => mergePort.build({ name: 'm', mode: 'dot', dot_axes: [2, 2] }, ctx())).toThrow(/dot_axes/);
  });
});

describe('GRU port', () => {
  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const layer = portFor('GRU', { name: 'x' }).build(
      { name: 'g', units: 2, reset_after: true, return_sequences: true },
      ctx(),
    );
    const inp = X();
    (layer.apply(inp) as tf.Tensor).dispose(); // builds weights (3 tensors)
    const built = tf.memory().numTensors;
    const y = layer.apply(inp) as tf.Tensor;
    y.dispose();
    expect(tf.memory().numTensors).toBe(built);
    expect(built - before).toBe(4);
  });
});
