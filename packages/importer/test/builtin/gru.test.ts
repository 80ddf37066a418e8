import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ImporterError } from '../../src/errors.ts';
import { initBackend } from '../../src/index.ts';
import { cudnnGruPort } from '../../src/layers/builtin/cudnn-gru.ts';
import { fromCudnnInputKernel, fromCudnnRecurrentKernel } from '../../src/layers/builtin/cudnn-layout.ts';
import { cudnnLstmPort } from '../../src/layers/builtin/cudnn-lstm.ts';
import { gruPort, type KerasGRU } from '../../src/layers/builtin/gru.ts';
import type { WeightArray } from '../../src/layers/port.ts';
import { Bidirectional } from '../../src/layers/wrappers.ts';
import { ctx, data, expectClose, hardSigmoid2, K2, K3, rand, roundTrip, sigmoid } from './helpers.ts';

const B = 2;
const T = 4;
const F = 3;
const U = 2;

interface RefOptions {
  resetAfter: boolean;
  goBackwards?: boolean;
  mask?: number[][];
  zeroOutputForMask?: boolean;
  recAct?: (v: number) => number;
  act?: (v: number) => number;
}

/** Plain-loop GRU as Keras defines it; returns per-step outputs [b][t][u] and final states [b][u]. */
function refGru(
  x: number[],
  k: number[],
  rk: number[],
  bias: number[],
  o: RefOptions,
): { seq: number[][][]; state: number[][] } {
  const recAct = o.recAct ?? sigmoid;
  const act = o.act ?? Math.tanh;
  const seq: number[][][] = [];
  const state: number[][] = [];
  for (let b = 0; b < B; b++) {
    let h = new Array(U).fill(0);
    let prev = new Array(U).fill(0);
    const outs: number[][] = [];
    for (let s = 0; s < T; s++) {
      const t = o.goBackwards ? T - 1 - s : s;
      const xw = new Array(3 * U).fill(0);
      for (let j = 0; j < 3 * U; j++) {
        for (let f = 0; f < F; f++) xw[j] += x[(b * T + t) * F + f] * k[f * 3 * U + j];
        xw[j] += bias[j];
      }
      const hU = (hv: number[], j: number): number => {
        let acc = 0;
        for (let i = 0; i < U; i++) acc += hv[i] * rk[i * 3 * U + j];
        return acc;
      };
      const z: number[] = [];
      const r: number[] = [];
      const hh: number[] = [];
      for (let i = 0; i < U; i++) {
        const rb = (j: number) => (o.resetAfter ? bias[3 * U + j] : 0);
        z.push(recAct(xw[i] + hU(h, i) + rb(i)));
        r.push(recAct(xw[U + i] + hU(h, U + i) + rb(U + i)));
      }
      for (let i = 0; i < U; i++) {
        if (o.resetAfter) {
          hh.push(act(xw[2 * U + i] + r[i] * (hU(h, 2 * U + i) + bias[3 * U + 2 * U + i])));
        } else {
          const rh = h.map((v, q) => v * r[q]);
          hh.push(act(xw[2 * U + i] + hU(rh, 2 * U + i)));
        }
      }
      let hNew = h.map((v, i) => z[i] * v + (1 - z[i]) * hh[i]);
      let out = hNew;
      if (o.mask && !o.mask[b][t]) {
        hNew = h;
        out = o.zeroOutputForMask ? new Array(U).fill(0) : prev;
      }
      outs.push(out);
      prev = out;
      h = hNew;
    }
    seq.push(outs);
    state.push(h);
  }
  return { seq, state };
}

const x = rand(B * T * F, 1);
const kernel = rand(F * 3 * U, 2);
const recKernel = rand(U * 3 * U, 3);
const bias6 = rand(6 * U, 4);
const bias3 = bias6.slice(0, 3 * U);

function weights(resetAfter: boolean): tf.Tensor[] {
  return [
    tf.tensor2d(kernel, [F, 3 * U]),
    tf.tensor2d(recKernel, [U, 3 * U]),
    resetAfter ? tf.tensor2d(bias6, [2, 3 * U]) : tf.tensor1d(bias3),
  ];
}

function gruConfig(extra: Record<string, unknown>) {
  return { name: 'gru', units: U, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, ...extra };
}

function build(extra: Record<string, unknown>, version = K3): KerasGRU {
  const layer = gruPort.build(gruConfig(extra), ctx(version)) as KerasGRU;
  layer.build([null, T, F]);
  layer.setWeights(weights(extra.reset_after === true));
  return layer;
}

const flatSeq = (s: number[][][]) => s.flat(2);
const lastOut = (s: number[][][]) => s.flatMap((b) => b[T - 1]);

describe('GRU (KerasGRU)', () => {
  for (const resetAfter of [true, false]) {
    it(`reset_after=${resetAfter}: sequences and final state match the loop`, () => {
      const layer = build({ reset_after: resetAfter, return_sequences: true, return_state: true });
      const [seq, state] = layer.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor[];
      const ref = refGru(x, kernel, recKernel, resetAfter ? bias6 : bias3, { resetAfter });
      expect(seq.shape).toEqual([B, T, U]);
      expectClose(seq.dataSync(), flatSeq(ref.seq));
      expectClose(state.dataSync(), ref.state.flat());
    });

    it(`reset_after=${resetAfter}: go_backwards and masks carry the state`, () => {
      const mask = [
        [1, 1, 0, 1],
        [0, 1, 1, 0],
      ];
      const layer = build({ reset_after: resetAfter, return_sequences: true, go_backwards: true });
      const y = layer.apply(tf.tensor3d(x, [B, T, F]), { mask: tf.tensor2d(mask, [B, T], 'bool') }) as tf.Tensor;
      const ref = refGru(x, kernel, recKernel, resetAfter ? bias6 : bias3, { resetAfter, goBackwards: true, mask });
      expectClose(y.dataSync(), flatSeq(ref.seq));
      const last = build({ reset_after: resetAfter, zero_output_for_mask: true, return_sequences: true });
      const z = last.apply(tf.tensor3d(x, [B, T, F]), { mask: tf.tensor2d(mask, [B, T], 'bool') }) as tf.Tensor;
      expectClose(
        z.dataSync(),
        flatSeq(
          refGru(x, kernel, recKernel, resetAfter ? bias6 : bias3, { resetAfter, mask, zeroOutputForMask: true }).seq,
        ),
      );
    });
  }

  it('go_backwards with a mask on the wasm backend, whose bool Reverse reads garbage', async () => {
    const before = tf.getBackend();
    await initBackend('wasm');
    try {
      const mask = [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ];
      for (const resetAfter of [true, false]) {
        const layer = build({ reset_after: resetAfter, return_sequences: true, go_backwards: true });
        const y = layer.apply(tf.tensor3d(x, [B, T, F]), { mask: tf.tensor2d(mask, [B, T], 'bool') }) as tf.Tensor;
        const ref = refGru(x, kernel, recKernel, resetAfter ? bias6 : bias3, { resetAfter, goBackwards: true, mask });
        expectClose(y.dataSync(), flatSeq(ref.seq));
      }
    } finally {
      await tf.setBackend(before);
    }
  });

  it('return_sequences=false returns the last output; a missing reset_after means false (Keras < 2.1.3)', () => {
    const layer = build({ recurrent_activation: 'hard_sigmoid' }, K2);
    expect(layer.resetAfter).toBe(false);
    const y = layer.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor;
    const ref = refGru(x, kernel, recKernel, bias3, { resetAfter: false, recAct: hardSigmoid2 });
    expect(y.shape).toEqual([B, U]);
    expectClose(y.dataSync(), lastOut(ref.seq));
  });

  it('uses Keras 3 hard_sigmoid for Keras 3 files', () => {
    const layer = build({ reset_after: true, recurrent_activation: 'hard_sigmoid' }, K3);
    const y = layer.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor;
    const ref = refGru(x, kernel, recKernel, bias6, {
      resetAfter: true,
      recAct: (v) => Math.min(1, Math.max(0, v / 6 + 0.5)),
    });
    expectClose(y.dataSync(), lastOut(ref.seq));
  });

  it('rejects stateful and time_major with the key named', () => {
    expect(() => gruPort.build(gruConfig({ stateful: true }), ctx())).toThrow(ImporterError);
    expect(() => gruPort.build(gruConfig({ stateful: true }), ctx())).toThrow(
      /'stateful' = true is not supported.*stateful=False/,
    );
    expect(() => gruPort.build(gruConfig({ time_major: true }), ctx())).toThrow(/'time_major'/);
  });

  it('has Keras weight names and shapes', () => {
    const a = build({ reset_after: true });
    expect(a.weights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['kernel', [F, 3 * U]],
      ['recurrent_kernel', [U, 3 * U]],
      ['bias', [2, 3 * U]],
    ]);
    expect(build({ reset_after: false }).weights[2].shape).toEqual([3 * U]);
  });

  it('concatenates Keras 1 per-gate weights', () => {
    const parts: WeightArray[] = [];
    for (const g of [0, 1, 2]) {
      parts.push({
        name: `W${g}`,
        shape: [F, U],
        data: Float32Array.from({ length: F * U }, (_, i) => kernel[Math.floor(i / U) * 3 * U + g * U + (i % U)]),
      });
      parts.push({
        name: `U${g}`,
        shape: [U, U],
        data: Float32Array.from({ length: U * U }, (_, i) => recKernel[Math.floor(i / U) * 3 * U + g * U + (i % U)]),
      });
      parts.push({ name: `b${g}`, shape: [U], data: Float32Array.from(bias3.slice(g * U, (g + 1) * U)) });
    }
    const out = gruPort.convertWeights!(parts, gruConfig({ output_dim: U }), ctx(K2));
    expect(out.map((w) => w.shape)).toEqual([[F, 3 * U], [U, 3 * U], [3 * U]]);
    expectClose(out[0].data, kernel);
    expectClose(out[1].data, recKernel);
    expectClose(out[2].data, bias3);
  });

  it('round-trips through getConfig/fromConfig', () => {
    const a = build({ reset_after: true, return_sequences: true, go_backwards: true, zero_output_for_mask: true });
    const b = roundTrip(a);
    b.build([null, T, F]);
    b.setWeights(a.getWeights());
    expect(b.getConfig()).toEqual(a.getConfig());
    expectClose(
      data(b.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor),
      data(a.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor),
    );
  });

  it('is differentiable', () => {
    const layer = build({ reset_after: true, return_sequences: true });
    const g = tf.grad((inp: tf.Tensor) => tf.sum(layer.apply(inp) as tf.Tensor))(tf.tensor3d(x, [B, T, F]));
    const eps = 1e-2;
    const f = (v: number[]) => tf.sum(layer.apply(tf.tensor3d(v, [B, T, F])) as tf.Tensor).dataSync()[0];
    const xp = [...x];
    xp[5] += eps;
    const xm = [...x];
    xm[5] -= eps;
    expect(g.dataSync()[5]).toBeCloseTo((f(xp) - f(xm)) / (2 * eps), 2);
  });

  it('works inside tf.layers.bidirectional (reset_after, masks, concat)', () => {
    const inner = build({ reset_after: true, return_sequences: true });
    const bi = tf.layers.bidirectional({ layer: inner as never, mergeMode: 'concat' });
    const input = tf.input({ shape: [T, F] });
    const model = tf.model({ inputs: input, outputs: bi.apply(input) as tf.SymbolicTensor });
    const kb = rand(F * 3 * U, 12);
    const rkb = rand(U * 3 * U, 13);
    const bb = rand(6 * U, 14);
    bi.setWeights([
      ...weights(true),
      tf.tensor2d(kb, [F, 3 * U]),
      tf.tensor2d(rkb, [U, 3 * U]),
      tf.tensor2d(bb, [2, 3 * U]),
    ]);
    const y = model.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor;
    const fw = refGru(x, kernel, recKernel, bias6, { resetAfter: true }).seq;
    const bw = refGru(x, kb, rkb, bb, { resetAfter: true, goBackwards: true }).seq;
    const expected: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) expected.push(...fw[b][t], ...bw[b][T - 1 - t]);
    expect(y.shape).toEqual([B, T, 2 * U]);
    expectClose(y.dataSync(), expected);
    expect(bi.getWeights().map((w) => w.shape)).toEqual([
      [F, 3 * U],
      [U, 3 * U],
      [2, 3 * U],
      [F, 3 * U],
      [U, 3 * U],
      [2, 3 * U],
    ]);
    const reloaded = tf.serialization.SerializationMap.getMap().classNameMap.Bidirectional;
    const clone = reloaded[1](reloaded[0], bi.getConfig()) as tf.layers.Layer;
    expect(clone.getConfig()).toMatchObject({ mergeMode: 'concat' });
  });
});

/**
 * Keras' `_convert_rnn_weights` (keras/engine/saving.py, Keras 2.2) written out literally, NumPy
 * semantics by hand: per gate, input kernels `k.T.reshape(k.shape, order='F')`, recurrent kernels `k.T`.
 */
function kerasFromCudnn(flat: number[], rows: number, units: number, gates: number, recurrent: boolean): number[] {
  const out = new Array(flat.length).fill(0);
  for (let g = 0; g < gates; g++) {
    const block = Array.from({ length: rows }, (_, r) =>
      Array.from({ length: units }, (_, u) => flat[r * gates * units + g * units + u]),
    );
    const transposed = Array.from({ length: units }, (_, u) => Array.from({ length: rows }, (_, r) => block[r][u]));
    let result: number[][];
    if (recurrent) result = transposed;
    else {
      // Read `transposed` (units × rows) in Fortran order (first index fastest), fill (rows × units) in Fortran order.
      const seq: number[] = [];
      for (let c = 0; c < rows; c++) for (let r = 0; r < units; r++) seq.push(transposed[r][c]);
      result = Array.from({ length: rows }, () => new Array(units).fill(0));
      let n = 0;
      for (let c = 0; c < units; c++) for (let r = 0; r < rows; r++) result[r][c] = seq[n++];
    }
    for (let r = 0; r < rows; r++)
      for (let u = 0; u < units; u++) out[r * gates * units + g * units + u] = result[r][u];
  }
  return out;
}

describe('CuDNN layers', () => {
  it("convert each gate's kernels from cuDNN's layout as Keras does (closed form on one gate)", () => {
    // One gate, F = 2, U = 3: cuDNN's [[0, 3, 1], [4, 2, 5]] is Keras' [[0, 1, 2], [3, 4, 5]].
    const w = (data: number[], shape: number[]) => ({ name: 'k', shape, data: Float32Array.from(data) });
    expect(Array.from(fromCudnnInputKernel(w([0, 3, 1, 4, 2, 5], [2, 3]), 1, 'x').data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(kerasFromCudnn([0, 3, 1, 4, 2, 5], 2, 3, 1, false)).toEqual([0, 1, 2, 3, 4, 5]);
    // Recurrent kernels are transposed per gate: two gates of U = 2.
    expect(Array.from(fromCudnnRecurrentKernel(w([1, 2, 5, 6, 3, 4, 7, 8], [2, 4]), 2, 'x').data)).toEqual([
      1, 3, 5, 7, 2, 4, 6, 8,
    ]);
    // Any shape, against the literal transcription.
    const k = rand(5 * 4 * 3, 30);
    expect(Array.from(fromCudnnInputKernel(w(k, [5, 12]), 4, 'x').data)).toEqual(
      kerasFromCudnn(k, 5, 3, 4, false).map(Math.fround),
    );
  });

  it('CuDNNGRU equals a reset_after GRU with sigmoid', () => {
    const config = { name: 'cudnn_gru_1', units: U, return_sequences: true };
    const layer = cudnnGruPort.build(config, ctx(K2));
    layer.build([null, T, F]);
    const converted = cudnnGruPort.convertWeights!(
      [
        { name: 'kernel', shape: [F, 3 * U], data: Float32Array.from(kernel) },
        { name: 'recurrent_kernel', shape: [U, 3 * U], data: Float32Array.from(recKernel) },
        { name: 'bias', shape: [6 * U], data: Float32Array.from(bias6) },
      ],
      config,
      ctx(K2),
    );
    layer.setWeights(converted.map((w) => tf.tensor(w.data, w.shape)));
    const y = layer.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor;
    const k = kerasFromCudnn(kernel, F, U, 3, false);
    const rk = kerasFromCudnn(recKernel, U, U, 3, true);
    expectClose(y.dataSync(), flatSeq(refGru(x, k, rk, bias6, { resetAfter: true }).seq));
  });

  it('CuDNNLSTM equals a standard LSTM with converted kernels and summed biases', () => {
    const kc = rand(F * 4 * U, 20);
    const rkc = rand(U * 4 * U, 21);
    const k = kerasFromCudnn(kc, F, U, 4, false);
    const rk = kerasFromCudnn(rkc, U, U, 4, true);
    const b8 = rand(8 * U, 22);
    const config = { name: 'cudnn_lstm_1', units: U, return_sequences: true };
    const layer = cudnnLstmPort.build(config, ctx(K2));
    layer.apply(tf.zeros([B, T, F]));
    const converted = cudnnLstmPort.convertWeights!(
      [
        { name: 'kernel', shape: [F, 4 * U], data: Float32Array.from(kc) },
        { name: 'recurrent_kernel', shape: [U, 4 * U], data: Float32Array.from(rkc) },
        { name: 'bias', shape: [8 * U], data: Float32Array.from(b8) },
      ],
      config,
      ctx(K2),
    );
    expect(converted[2].shape).toEqual([4 * U]);
    layer.setWeights(converted.map((w) => tf.tensor(w.data, w.shape)));
    const y = (layer.apply(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    // Plain-loop LSTM, gate order i, f, c, o; bias = input half + recurrent half.
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      let h = new Array(U).fill(0);
      let c = new Array(U).fill(0);
      for (let t = 0; t < T; t++) {
        const pre = new Array(4 * U).fill(0).map((_, j) => {
          let acc = b8[j] + b8[4 * U + j];
          for (let f = 0; f < F; f++) acc += x[(b * T + t) * F + f] * k[f * 4 * U + j];
          for (let i = 0; i < U; i++) acc += h[i] * rk[i * 4 * U + j];
          return acc;
        });
        const ig = pre.slice(0, U).map(sigmoid);
        const fg = pre.slice(U, 2 * U).map(sigmoid);
        const cc = pre.slice(2 * U, 3 * U).map(Math.tanh);
        const og = pre.slice(3 * U).map(sigmoid);
        c = c.map((v, i) => fg[i] * v + ig[i] * cc[i]);
        h = c.map((v, i) => og[i] * Math.tanh(v));
        expected.push(...h);
      }
    }
    expectClose(y, expected);
  });

  it('Bidirectional(CuDNNLSTM) converts both halves', () => {
    const half = (seed: number): WeightArray[] => [
      { name: 'kernel', shape: [F, 4 * U], data: Float32Array.from(rand(F * 4 * U, seed)) },
      { name: 'recurrent_kernel', shape: [U, 4 * U], data: Float32Array.from(rand(U * 4 * U, seed + 1)) },
      { name: 'bias', shape: [8 * U], data: Float32Array.from(rand(8 * U, seed + 2)) },
    ];
    const inner = { class_name: 'CuDNNLSTM', config: { name: 'cudnn_lstm', units: U, return_sequences: true } };
    const got = Bidirectional.convertWeights!([...half(40), ...half(50)], { name: 'bi', layer: inner }, ctx(K2));
    const want = [...half(40), ...half(50)];
    const expected = [
      ...cudnnLstmPort.convertWeights!(want.slice(0, 3), inner.config, ctx(K2)),
      ...cudnnLstmPort.convertWeights!(want.slice(3), inner.config, ctx(K2)),
    ];
    expect(got.map((w) => [w.shape, Array.from(w.data)])).toEqual(expected.map((w) => [w.shape, Array.from(w.data)]));
    expect(got[2].shape).toEqual([4 * U]);
  });

  it('CuDNN ports reject stateful', () => {
    expect(() => cudnnLstmPort.build({ name: 'l', units: 2, stateful: true }, ctx(K2))).toThrow(
      /CuDNNLSTM.*'stateful'/,
    );
  });
});
