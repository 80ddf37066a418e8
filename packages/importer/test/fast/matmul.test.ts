import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fastBatchMatMul, fastMatMul } from '../../src/layers/fast/attention.ts';
import { KERNEL, registerFastKernels } from '../../src/layers/fast/kernels.ts';
import { BACKENDS, expectAgree, rnd, useBackend } from './helpers.ts';

// (batch, M, K, N): every column-panel width (16, 12, 8, 4 and padded), row counts that leave
// remainders of the 2- and 6-row tiles, K past one 256-row panel of B, A past one L2 block.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [2, 7, 5, 3],
  [3, 13, 300, 28],
  [1, 6, 520, 4],
  [2, 35, 17, 12],
  [1, 61, 7, 20],
  [1, 300, 240, 60],
  [4, 9, 64, 30],
  [1, 5, 0, 8],
];
// tf.matMul on wasm leaves a K = 0 product uninitialised: the reference there is zeros
const reference = (a: tf.Tensor, b: tf.Tensor) =>
  a.shape[2] === 0 ? tf.zeros([a.shape[0]!, a.shape[1]!, b.shape[2]!]) : tf.matMul(a, b);

const data = (t: tf.Tensor) => t.dataSync() as Float32Array;

describe.each(BACKENDS)('fused matmul agrees with tf.matMul on %s', (backendName) => {
  it.each(SHAPES.map((s) => [s.join('×'), s] as const))('%s', async (_n, [batch, M, K, N]) => {
    await useBackend(backendName);
    expect(registerFastKernels()).toBe(true);
    const a = rnd([batch, M, K], 11 + M);
    const b = rnd([batch, K, N], 17 + N);
    const cases: [string, tf.Tensor, tf.Tensor][] = [
      ['a·b', tf.engine().runKernel(KERNEL.batchMatMul, { a, b }, {}) as tf.Tensor, reference(a, b)],
      [
        'aᵀ·b',
        tf
          .engine()
          .runKernel(KERNEL.batchMatMul, { a: tf.transpose(a, [0, 2, 1]), b }, { transposeA: true }) as tf.Tensor,
        reference(a, b),
      ],
      [
        'a·bᵀ',
        tf
          .engine()
          .runKernel(KERNEL.batchMatMul, { a, b: tf.transpose(b, [0, 2, 1]) }, { transposeB: true }) as tf.Tensor,
        reference(a, b),
      ],
    ];
    if (batch === 1) {
      const [a2, b2, bias] = [tf.reshape(a, [M, K]), tf.reshape(b, [K, N]), rnd([N], 23)];
      cases.push(['2-D', fastMatMul(a2, b2), reference(a, b)]);
      cases.push(['2-D + bias', fastMatMul(a2, b2, bias), tf.add(reference(a, b), bias)]);
      bias.dispose();
    }
    for (const [what, fast, ref] of cases) {
      expect(fast.shape.slice(-2), what).toEqual([M, N]);
      expectAgree([data(fast)], [data(ref)], 1e-5 * Math.sqrt(K + 1), 1e-4, what);
    }
    tf.dispose([a, b, ...cases.flatMap(([, f, r]) => [f, r])]);
  });

  it('has the gradient of the product', async () => {
    await useBackend(backendName);
    const a = rnd([3, 21, 270], 5);
    const b = rnd([3, 270, 44], 6);
    const w = rnd([3, 21, 44], 7);
    const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(f(x, y), w)) as tf.Scalar;
    const fast = tf.grads(loss((x, y) => fastBatchMatMul(x, y)!))([a, b]);
    const ref = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    expectAgree(fast.map(data), ref.map(data), 1e-4, 1e-4, 'gradient');
    tf.dispose([a, b, w, ...fast, ...ref]);
  });

  it('has the gradient of the product with a bias, for every operand', async () => {
    await useBackend(backendName);
    const a = rnd([37, 270], 8);
    const b = rnd([270, 20], 9);
    const bias = rnd([20], 10);
    const w = rnd([37, 20], 11);
    const loss =
      (f: (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(f(x, y, z), w)) as tf.Scalar;
    const fast = tf.grads(loss((x, y, z) => fastMatMul(x, y, z)))([a, b, bias]);
    const ref = tf.grads(loss((x, y, z) => tf.add(tf.matMul(x, y), z)))([a, b, bias]);
    expect(fast.map((t) => t.shape)).toEqual([a.shape, b.shape, bias.shape]);
    expectAgree(fast.map(data), ref.map(data), 1e-4, 1e-4, 'gradient');
    tf.dispose([a, b, bias, w, ...fast, ...ref]);
  });
});
