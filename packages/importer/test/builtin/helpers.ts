import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { activationFor } from '../../src/layers/activations.ts';
import type { BuildContext, KerasVersion, WeightArray } from '../../src/layers/port.ts';

export const K2: KerasVersion = { raw: '2.3.1', major: 2, minor: 3, patch: 1 };
export const K3: KerasVersion = { raw: '3.9.2', major: 3, minor: 9, patch: 2 };

/** A BuildContext good enough for builtin ports. */
export function ctx(version: KerasVersion = K3): BuildContext {
  return {
    kerasVersion: version,
    semantics: { selfAttentionVariant: 'current' },
    buildLayer: () => {
      throw new Error('not used');
    },
    activation: (k) => activationFor(k, version),
    lambdas: {},
  };
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function rand(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 2 ** 32) * 2 - 1);
  }
  return out;
}

/** A stored weight named `name` of `shape` holding {@link rand}`(size, seed)`. */
export function seededWeight(name: string, shape: number[], seed: number): WeightArray {
  return {
    name,
    shape,
    data: Float32Array.from(
      rand(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
    ),
  };
}

/** Element-wise closeness with a message naming the first mismatch. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol + tol * Math.abs(expected[i]))) {
      expect.fail(`index ${i}: actual ${actual[i]} expected ${expected[i]}`);
    }
  }
}

export function data(t: tf.Tensor | tf.Tensor[]): Float32Array {
  return (Array.isArray(t) ? t[0] : t).dataSync() as Float32Array;
}

/** Nested array access helper: row-major index. */
export function idx(shape: number[], ...i: number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + i[d];
  return k;
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
export const hardSigmoid2 = (v: number): number => Math.min(1, Math.max(0, 0.2 * v + 0.5));

/** Round trip a layer through getConfig → registered class → fromConfig. */
export function roundTrip<T extends tf.layers.Layer>(layer: T): T {
  const cls = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
  if (!cls) throw new Error(`class ${layer.getClassName()} not registered`);
  const [ctor, fromConfig] = cls;
  return fromConfig(ctor, layer.getConfig()) as T;
}

/** Copy weights from one layer to a freshly built clone. */
export function copyWeights(from: tf.layers.Layer, to: tf.layers.Layer): void {
  to.setWeights(from.getWeights());
}
