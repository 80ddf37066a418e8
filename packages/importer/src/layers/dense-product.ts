import * as tf from '@tensorflow/tfjs';

/** The kernel name of {@link denseProduct}. */
export const DENSE_PRODUCT = 'KeraspectDenseProduct';

/** The fused activations {@link denseProduct} takes (those TF.js' Dense fuses and can differentiate). */
export type DenseActivation = 'linear' | 'relu';

/**
 * Dense's `act(x·W + b)` for 2-D `x` (R, K) and `kernel` (K, N): the backend's own `_FusedMatMul`
 * kernel, run exactly as `tf.fused.matMul` runs it (so the same values), under a kernel name of
 * its own with a registered gradient. TF.js' fused matmul differentiates through `customGrad`,
 * which computes every input's gradient (dW and db too, when only dx is asked for), and takes dx as
 * dz·Wᵀ through the transposed product that the wasm backend runs as a slow scalar loop; this
 * gradient computes only the gradients the backward pass asks for, and dx as dz·(Wᵀ) with Wᵀ
 * materialized first (the fast untransposed product). Falls back to `tf.fused.matMul` on a
 * backend without `_FusedMatMul`.
 */
export function denseProduct(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor | null,
  activation: DenseActivation,
): tf.Tensor2D {
  if (!ensureKernel()) return tf.fused.matMul({ a: x, b: kernel, bias: bias ?? undefined, activation }) as tf.Tensor2D;
  const [R, K] = x.shape;
  const N = kernel.shape[1];
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = { a: tf.reshape(x, [1, R, K]), b: tf.reshape(kernel, [1, K, N]) };
    if (bias) inputs.bias = bias;
    const y = tf.engine().runKernel(DENSE_PRODUCT, inputs, { activation }) as tf.Tensor;
    return tf.reshape(y, [R, N]);
  });
}

/** Register the kernel for the current backend (when it has `_FusedMatMul`) and the gradient, once each. */
function ensureKernel(): boolean {
  const backendName = tf.getBackend();
  if (tf.getKernel(DENSE_PRODUCT, backendName)) return true;
  const fused = tf.getKernel('_FusedMatMul', backendName);
  if (!fused) return false;
  tf.registerKernel({
    kernelName: DENSE_PRODUCT,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) =>
      fused.kernelFunc({
        inputs,
        backend,
        attrs: { transposeA: false, transposeB: false, activation: attrs?.activation ?? 'linear', leakyreluAlpha: 0.2 },
      }),
  });
  if (!tf.getGradient(DENSE_PRODUCT)) tf.registerGradient(gradient);
  return true;
}

const gradient: tf.GradConfig = {
  kernelName: DENSE_PRODUCT,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [a, b, y] = saved;
    // dz: the gradient before the activation (TF.js' `getFusedDyActivation`).
    const dz = () => (attrs?.activation === 'relu' ? tf.mul(dy as tf.Tensor, tf.step(y)) : (dy as tf.Tensor));
    return {
      a: () => tf.matMul(dz(), tf.transpose(b, [0, 2, 1])),
      b: () => tf.matMul(a, dz(), true, false),
      // (the bias is rank 1, (N), as the wasm kernel requires)
      bias: () => tf.sum(dz(), [0, 1]),
    };
  },
};
