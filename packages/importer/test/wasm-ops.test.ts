import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';

/** A seeded Park–Miller generator, so each case is the same on every run. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

type Dtype = 'float32' | 'int32' | 'bool';
const DTYPES: readonly Dtype[] = ['float32', 'int32', 'bool'];

/** `n` values of `dtype` starting at `from` (float32 ones not representable in few bits). */
const valuesOf = (n: number, dtype: Dtype, from = 0) =>
  dtype === 'bool'
    ? Array.from({ length: n }, (_, i) => (i + from) % 3 === 0)
    : Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i + from - 7 : (i + from) * 1.37 - 3.1));

/** Each result's shape, dtype and values, from `run` on the wasm backend and on the cpu backend. */
async function onBoth(run: () => tf.Tensor[]) {
  const plain = () =>
    tf.tidy(run).map((t) => {
      const r = { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) };
      t.dispose();
      return r;
    });
  const wasm = plain();
  await tf.setBackend('cpu');
  const cpu = plain();
  await tf.setBackend('wasm');
  return { wasm, cpu };
}

describe("the importer's wasm Slice, SplitV and Concat", () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are installed by initBackend on wasm', () => {
    for (const name of ['Slice', 'SplitV']) expect(String(tf.getKernel(name, 'wasm')?.kernelFunc)).toContain('copyBox');
    expect(String(tf.getKernel('Concat', 'wasm')?.kernelFunc)).toContain('heapOf');
  });

  it('slice and split as the cpu backend does, for every rank ≤ 4, dtype and box (400 seeded cases)', async () => {
    const r = lcg(7);
    for (let c = 0; c < 400; c++) {
      const rank = 1 + Math.floor(r() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 6));
      const dtype = DTYPES[Math.floor(r() * 3)];
      const values = valuesOf(
        shape.reduce((a, b) => a * b, 1),
        dtype,
      );
      const begin = shape.map((d) => Math.floor(r() * d));
      const size = shape.map((d, a) => (r() < 0.2 ? -1 : Math.floor(r() * (d - begin[a] + 1))));
      const axis = Math.floor(r() * rank);
      const first = Math.floor(r() * (shape[axis] + 1));
      const parts = [first, shape[axis] - first];
      const { wasm, cpu } = await onBoth(() => {
        const x = tf.tensor(values, shape, dtype);
        return [tf.slice(x, begin, size), ...tf.split(x, parts, axis)];
      });
      expect(
        wasm,
        `case ${c}: shape [${shape}] ${dtype} begin [${begin}] size [${size}] split ${parts} on ${axis}`,
      ).toEqual(cpu);
    }
  });

  it('concat as the cpu backend does, for ranks 1–5, every axis, dtype and empty inputs (400 seeded cases)', async () => {
    const r = lcg(11);
    for (let c = 0; c < 400; c++) {
      const rank = 1 + Math.floor(r() * 5);
      const base = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
      const axis = Math.floor(r() * rank) - (r() < 0.2 ? rank : 0);
      const a = axis < 0 ? axis + rank : axis;
      // Some inputs empty along the axis; a few cases empty in another axis too (all inputs then).
      if (r() < 0.05) base[(a + 1) % rank] = rank > 1 ? 0 : base[0];
      const count = 1 + Math.floor(r() * 4);
      const shapes = Array.from({ length: count }, () => base.map((d, k) => (k === a ? Math.floor(r() * 4) : d)));
      const dtype = DTYPES[Math.floor(r() * 3)];
      const { wasm, cpu } = await onBoth(() => {
        const xs = shapes.map((s, i) => tf.tensor(valuesOf(tf.util.sizeFromShape(s), dtype, 100 * i), s, dtype));
        return [tf.concat(xs, axis)];
      });
      expect(wasm, `case ${c}: ${dtype} [${shapes.map((s) => `[${s}]`)}] on axis ${axis}`).toEqual(cpu);
    }
  });

  it('concat one input, a single non-empty input among empty ones, and long runs', async () => {
    for (const dtype of DTYPES) {
      const { wasm, cpu } = await onBoth(() => {
        const one = tf.tensor(valuesOf(6, dtype), [2, 3], dtype);
        const empty = tf.tensor([], [2, 0], dtype);
        const long = [0, 1].map((i) => tf.tensor(valuesOf(3 * 40, dtype, i * 1000), [3, 40], dtype));
        return [
          tf.concat([one], 1),
          tf.concat([empty, one, empty], 1),
          tf.concat([empty, empty], 1),
          tf.concat(long, 1),
          tf.concat(long, 0),
        ];
      });
      expect(wasm, dtype).toEqual(cpu);
    }
  });

  it("reverse bool tensors as the cpu backend does (the backend's own Reverse reads bool as 4-byte words)", async () => {
    const r = lcg(13);
    for (let c = 0; c < 60; c++) {
      const rank = 1 + Math.floor(r() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5));
      const axes = Array.from({ length: rank }, (_, a) => a).filter(() => r() < 0.5);
      const values = valuesOf(tf.util.sizeFromShape(shape), 'bool', c);
      const { wasm, cpu } = await onBoth(() => [tf.reverse(tf.tensor(values, shape, 'bool'), axes)]);
      expect(wasm, `case ${c}: [${shape}] axes [${axes}]`).toEqual(cpu);
    }
  });

  it('copy float32 bits as they are (NaN payloads, −0)', () => {
    const bits = new Int32Array([0x7fa00001, 0xffc00123 | 0, 0x80000000 | 0, 0x3f800000]);
    const x = tf.tensor(new Float32Array(bits.buffer), [2, 2]);
    const outs = [tf.concat([x, x], 1), tf.slice(x, [0, 0], [2, 2]), ...tf.split(x, [1, 1], 1)];
    const got = outs.map((t) => Array.from(new Int32Array((t.dataSync() as Float32Array).slice().buffer)));
    expect(got[0]).toEqual([bits[0], bits[1], bits[0], bits[1], bits[2], bits[3], bits[2], bits[3]]);
    expect(got[1]).toEqual(Array.from(bits));
    expect(got.slice(2)).toEqual([
      [bits[0], bits[2]],
      [bits[1], bits[3]],
    ]);
    tf.dispose([x, ...outs]);
  });

  it('keep the backend’s own errors for inconsistent shapes and the string dtype', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 3]);
    expect(() => tf.concat([a, b], 1)).toThrow(/does not match the shape of the rest/);
    const s = tf.concat([tf.tensor(['a', 'b']), tf.tensor(['c'])]);
    expect(s.dataSync()).toEqual(['a', 'b', 'c']);
    tf.dispose([a, b, s]);
  });

  it('carry the gradient of a last-axis concat (a SplitV of the output gradient)', () => {
    const a = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const b = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => -i),
      [2, 3, 2],
    );
    const w = tf.tensor3d(
      Array.from({ length: 36 }, (_, i) => i % 5),
      [2, 3, 6],
    );
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 2), w)))([a, b]);
    const wv = w.arraySync() as number[][][];
    expect(ga.arraySync()).toEqual(wv.map((row) => row.map((v) => v.slice(0, 4))));
    expect(gb.arraySync()).toEqual(wv.map((row) => row.map((v) => v.slice(4))));
    tf.dispose([a, b, w, ga, gb]);
  });
});
