import * as tf from '@tensorflow/tfjs';

/**
 * LRP-ε as a modified gradient (Ancona et al. 2018, https://arxiv.org/abs/1711.06104): relevance
 * at a tensor a is R_a = a ⊙ m_a, where m is backpropagated like a gradient except that
 * - the derivative of a layer y = g(Wx + b) is replaced by y / (z + ε·sign z) (one ε-division per
 *   linear map; for g = identity this is the ε-rule of a linear layer);
 * - an elementwise map that follows no linear map of its own (an `Activation` layer, tanh(c) in an
 *   LSTM) passes relevance unchanged: derivative y / z, no ε (Arras et al.: R_c += R_h), so
 *   Dense(tanh) and Dense(linear) + Activation(tanh) give the same relevances;
 * - gates and attention weights pass no relevance (Arras et al. 2017: in gate ⊙ signal all
 *   relevance goes to the signal).
 * Then gradient × input of the modified model is ε-LRP.
 */

/** Forward `y`; backward dy · y / (z + ε·sign z) to `z`, nothing to `y`. */
export function lrpRatio(z: tf.Tensor, y: tf.Tensor, epsilon: number): tf.Tensor {
  const op = tf.customGrad(((zz: tf.Tensor, yy: tf.Tensor, save: tf.GradSaveFunc) => {
    save([zz, yy]);
    return {
      value: yy.clone(),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, ys] = saved;
        const denom = tf.add(zs, tf.mul(epsilon, tf.sub(tf.mul(2, tf.cast(tf.greaterEqual(zs, 0), 'float32')), 1)));
        return [tf.mul(dy, tf.div(ys, denom)), tf.zerosLike(ys)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(z, y) as tf.Tensor;
}

/**
 * Forward `y = g(z)`; backward dy · y / z to `z` (relevance passes unchanged), nothing to `y`.
 * Where z = 0 the factor is 1: every rule below a tensor multiplies its relevance by z there.
 */
export function lrpPass(z: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((zz: tf.Tensor, yy: tf.Tensor, save: tf.GradSaveFunc) => {
    save([zz, yy]);
    return {
      value: yy.clone(),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, ys] = saved;
        const zero = tf.equal(zs, 0);
        const ratio = tf.where(zero, tf.onesLike(zs), tf.div(ys, tf.where(zero, tf.onesLike(zs), zs)));
        return [tf.mul(dy, ratio), tf.zerosLike(ys)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(z, y) as tf.Tensor;
}

/** The ε-rule for a sum or affine map already computed as `y`: forward y, backward dy·y/(y + ε·sign y). */
export function lrpStabilize(y: tf.Tensor, epsilon: number): tf.Tensor {
  return lrpRatio(y, y, epsilon);
}

/** Forward `x`, no gradient: gates and attention weights. */
export function detach(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((xx: tf.Tensor) => ({
    value: xx.clone(),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor;
}
