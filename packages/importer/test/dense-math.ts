import { expect } from 'vitest';
import { type ImportOptions, loadModel, predict } from '../src/index.ts';

/** Small models computed by hand: deterministic weights, Dense and BatchNormalization in closed form. */

/** Deterministic values in (-0.8, 0.8) of `shape`, different per `seed`. */
export function ramp(shape: number[], seed: number): { shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1.7 + i * 0.9) * 0.8) };
}

interface Values {
  shape: number[];
  data: ArrayLike<number>;
}

/** x · W + b for one row x; W is (in, out) row-major as Keras stores Dense kernels. */
export function dense(x: number[], w: Values, b: Values): number[] {
  const out = b.shape[0];
  return Array.from({ length: out }, (_, j) => x.reduce((s, xi, i) => s + xi * w.data[i * out + j], b.data[j]));
}

/** BatchNormalization at inference, epsilon 1e-3, weights in Keras' order. */
export function batchNorm(x: number[], [gamma, beta, mean, variance]: Values[]): number[] {
  return x.map((v, i) => ((v - mean.data[i]) / Math.sqrt(variance.data[i] + 1e-3)) * gamma.data[i] + beta.data[i]);
}

/** Load `bytes` and predict one row `x`. */
export async function predictRow(bytes: Uint8Array, x: number[], options: ImportOptions = {}): Promise<number[]> {
  const km = await loadModel(bytes, options);
  try {
    return Array.from(predict(km, { data: Float32Array.from(x), shape: [1, x.length] })[0].data);
  } finally {
    km.dispose();
  }
}

export function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 5));
}
