import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { setFastPaths } from '../../src/layers/fast/switch.ts';
import { kernelInstructionSet } from '../../src/layers/fast/wasm.ts';

/**
 * The backends the fused kernels are registered for, each with the kernels' relaxed-SIMD build (the
 * vitest setup enables relaxed SIMD, as the CLI does), and wasm again with the SIMD128 build (what
 * engines without relaxed SIMD run); each test runs on all three.
 */
export const BACKENDS = ['cpu', 'wasm', 'wasm/simd128'] as const;

export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  const [backendName, set = 'relaxed-simd'] = name.split('/');
  setFastPaths({ relaxedSimd: set === 'relaxed-simd' });
  expect(kernelInstructionSet(), 'kernel build in use').toBe(set);
  await tf.setBackend(backendName);
  await tf.ready();
}

/** Deterministic pseudo-random tensor in [-scale, scale). */
export function rnd(shape: number[], seed: number, scale = 1): tf.Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

/** Give every weight of `layer` seeded random values (call after the layer is built). */
export function randomizeWeights(layer: tf.layers.Layer, seed: number, scale = 0.6): void {
  layer.setWeights(layer.getWeights().map((w, i) => rnd(w.shape, seed + 17 * i, scale)));
}

/**
 * Run `fn` with the fused kernels off (the TF.js / loop reference) and on; returns both results'
 * data, and checks that no tensor leaked.
 */
export function bothPaths(fn: () => tf.Tensor[]): { reference: Float32Array[]; fast: Float32Array[] } {
  const run = (on: boolean) => {
    const prev = setFastPaths(on);
    try {
      const before = tf.memory().numTensors;
      const outs = fn();
      const data = outs.map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose(outs);
      expect(tf.memory().numTensors, `tensors left by the ${on ? 'fast' : 'reference'} path`).toBe(before);
      return data;
    } finally {
      setFastPaths(prev);
    }
  };
  return { reference: run(false), fast: run(true) };
}

/** |fast − reference| ≤ atol + rtol·|reference| everywhere, naming the first failing index. */
export function expectAgree(
  fast: Float32Array[],
  reference: Float32Array[],
  atol = 2e-5,
  rtol = 2e-4,
  what = 'output',
): void {
  expect(fast.length).toBe(reference.length);
  reference.forEach((ref, k) => {
    expect(fast[k].length, `${what} ${k} length`).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(fast[k][i] - ref[i]);
      if (!(d <= atol + rtol * Math.abs(ref[i])))
        expect.fail(`${what} ${k} index ${i}: fast ${fast[k][i]}, reference ${ref[i]} (|Δ| ${d})`);
    }
  });
}

/** Run `fn` once on each path without checks (first calls may cache tensors). */
export function bothPathsWarmUp(fn: () => tf.Tensor[]): void {
  for (const on of [false, true]) {
    const prev = setFastPaths(on);
    tf.dispose(fn());
    setFastPaths(prev);
  }
}
