import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureGradientKernels, wasmBorrowedKernels } from '../src/index.ts';

describe('ensureGradientKernels on a wasm backend set up without initBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("installs the importer's heap Slice, SplitV and Concat and the borrowed gradient kernels", async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    expect(String(tf.getKernel('Concat', 'wasm')?.kernelFunc)).not.toContain('heapOf');
    ensureGradientKernels();
    for (const name of ['Slice', 'SplitV']) expect(String(tf.getKernel(name, 'wasm')?.kernelFunc)).toContain('copyBox');
    expect(String(tf.getKernel('Concat', 'wasm')?.kernelFunc)).toContain('heapOf');
    for (const name of wasmBorrowedKernels) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    const [ga] = tf.grads((p: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, p], 1), tf.tensor2d([[1, 2, 3, 4]]))))([
      tf.tensor2d([[5, 6]]),
    ]);
    expect(ga.arraySync()).toEqual([[4, 6]]);
  });
});
