import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGradientKernels } from '../src/index.ts';

/** A seeded Park–Miller generator, so each case is the same on every run. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

describe("explain's wasm Slice and SplitV", () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    ensureGradientKernels();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Slices and splits of `x` on the current backend, as plain values. */
  const cut = (
    values: number[] | boolean[],
    shape: number[],
    dtype: tf.DataType,
    begin: number[],
    size: number[],
    axis: number,
    parts: number[],
  ) =>
    tf.tidy(() => {
      const x = tf.tensor(values, shape, dtype);
      return [tf.slice(x, begin, size), ...tf.split(x, parts, axis)].map((t) => ({
        shape: t.shape,
        data: Array.from(t.dataSync()),
      }));
    });

  it('give what the cpu backend gives, for every rank ≤ 4, dtype and box (400 seeded cases)', async () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(String(tf.getKernel('SplitV', 'wasm')?.kernelFunc)).toContain('copyBox');
    const r = lcg(7);
    for (let c = 0; c < 400; c++) {
      const rank = 1 + Math.floor(r() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 6));
      const dtype = (['float32', 'int32', 'bool'] as const)[Math.floor(r() * 3)];
      const n = shape.reduce((a, b) => a * b, 1);
      const values =
        dtype === 'bool'
          ? Array.from({ length: n }, (_, i) => i % 3 === 0)
          : Array.from({ length: n }, (_, i) => i * 1.5 + 1);
      const begin = shape.map((d) => Math.floor(r() * d));
      const size = shape.map((d, a) => (r() < 0.2 ? -1 : Math.floor(r() * (d - begin[a] + 1))));
      const axis = Math.floor(r() * rank);
      const first = Math.floor(r() * (shape[axis] + 1));
      const parts = [first, shape[axis] - first];
      const wasm = cut(values, shape, dtype, begin, size, axis, parts);
      await tf.setBackend('cpu');
      const cpu = cut(values, shape, dtype, begin, size, axis, parts);
      await tf.setBackend('wasm');
      expect(
        wasm,
        `case ${c}: shape [${shape}] ${dtype} begin [${begin}] size [${size}] split ${parts} on ${axis}`,
      ).toEqual(cpu);
    }
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
