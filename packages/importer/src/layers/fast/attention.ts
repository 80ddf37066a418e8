import * as tf from '@tensorflow/tfjs';
import { KERNEL } from './kernels.ts';
import { fastPathAvailable } from './switch.ts';

/**
 * Additive self-attention scores `e[b,t,s] = Wa·tanh(x_t·Wt + x_s·Wx + bh) + ba` (B, T, T) as one
 * fused kernel, without the (B, T, T, U) intermediate; null when the fused path is unavailable.
 */
export function fastAdditiveScores(
  x: tf.Tensor,
  wt: tf.Tensor,
  wx: tf.Tensor,
  bh: tf.Tensor | null,
  wa: tf.Tensor,
  ba: tf.Tensor | null,
): tf.Tensor | null {
  if (x.rank !== 3 || !fastPathAvailable('attention')) return null;
  return tf.tidy(() => {
    const [B, T, F] = x.shape as [number, number, number];
    const U = wt.shape[1] as number;
    const flat = tf.reshape(x, [B * T, F]);
    const q = tf.reshape(fastMatMul(flat, wt), [B, T, U]);
    const k = fastMatMul(flat, wx, bh);
    const inputs = {
      q,
      k: tf.reshape(k, [B, T, U]),
      wa: tf.reshape(wa, [U]),
      ba: ba ? tf.reshape(ba, [1]) : tf.zeros([1]),
    };
    return tf.engine().runKernel(KERNEL.additive, inputs) as tf.Tensor;
  });
}

/**
 * The batched product (B, M, K)·(B, K, N) (+ an optional `bias` (N) added to every row inside the
 * product) with this package's SIMD kernel (TF.js' wasm BatchMatMul is several times slower at the
 * attention's shapes); null when unavailable.
 */
export function fastBatchMatMul(a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor | null = null): tf.Tensor | null {
  if (
    a.rank !== 3 ||
    b.rank !== 3 ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    a.shape[0] !== b.shape[0] ||
    a.shape[2] !== b.shape[1] ||
    (bias && (bias.rank !== 1 || bias.shape[0] !== b.shape[2] || bias.dtype !== 'float32')) ||
    !fastPathAvailable('attention')
  )
    return null;
  const inputs: tf.NamedTensorMap = { a, b };
  if (bias) inputs.bias = bias;
  return tf.engine().runKernel(KERNEL.batchMatMul, inputs, { transposeA: false, transposeB: false }) as tf.Tensor;
}

/**
 * a·b (+ bias) for 2-D float32 `a` (M, K), `b` (K, N) and an optional `bias` (N) added to every row
 * inside the product, with this package's SIMD kernel, whose gradient also runs on it (TF.js' wasm
 * BatchMatMul is several times slower on the transposed products a gradient takes, e.g.
 * (B·T, U)·(F, U)ᵀ); `tf.matMul` (and `tf.add`) when the fused path is unavailable.
 */
export function fastMatMul(a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor | null = null): tf.Tensor {
  const plain = () => (bias ? tf.add(tf.matMul(a, b), bias) : tf.matMul(a, b));
  if (a.rank !== 2 || b.rank !== 2) return plain();
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1] as number;
  const c = fastBatchMatMul(tf.reshape(a, [1, M, K]), tf.reshape(b, [1, b.shape[0] as number, N]), bias);
  return c ? tf.reshape(c, [M, N]) : plain();
}
