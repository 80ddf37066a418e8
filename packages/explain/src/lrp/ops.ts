import * as tf from '@tensorflow/tfjs';

/**
 * LRP-ε as a relevance flow through TF.js' gradient machinery: under the LRP rules, what
 * backpropagates to a tensor is its relevance, so the attribution is the "gradient" at the input.
 * - A linear map z = A(x₁…xₙ) + b gets the ε-rule as z = A(gradTimesValue(x₁)…) + b followed by
 *   `epsilonOut(z, y)`: autodiff then gives R_xᵢ = xᵢ ⊙ Aᵢᵀ(R_y / (z + ε·sign z)), Arras et al.'s
 *   `lrp_linear`. With a bias factor the share of b + ε·sign z is spread over the inputs too.
 * - An activation passes relevance unchanged (`passThrough`); the ε-rule belongs to its linear map.
 * - In gate ⊙ signal all relevance goes to the signal (`gated`; Arras et al. 2017).
 * - At the explained output, relevance starts as y ⊙ ∂score/∂y (`gradTimesValue`).
 * The modified-gradient form (relevance = x ⊙ gradient, Ancona et al. 2018) gives the same
 * relevances without bias factor, but cannot add the bias share, which is not proportional to x.
 */

type Grad = Parameters<typeof tf.customGrad>[0];
const custom = (f: unknown) => tf.customGrad(f as Grad) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;

const sign = (z: tf.Tensor) => tf.sub(tf.mul(2, tf.cast(tf.greaterEqual(z, 0), 'float32')), 1);

/** Forward `x`; backward dy ⊙ x (the "× input" half of the ε-rule; the seed at the output). */
export function gradTimesValue(x: tf.Tensor): tf.Tensor {
  return custom((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xx]);
    return { value: xx.clone(), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => [tf.mul(dy, xs)] };
  })(x);
}

/**
 * How a layer's bias (and stabilizer) share is given back to its inputs (Arras et al.'s
 * `bias_factor`): `bias` is the map at zero inputs, `spread` (shaped like z) is the connectivity
 * map of the raw inputs, whose transpose spreads each output's share evenly over the inputs it reads.
 */
export interface BiasShare {
  factor: number;
  bias: tf.Tensor;
  spread: tf.Tensor;
}

/**
 * Forward `y` (z's activation, or z); backward R / (z + ε·sign z) to `z`, and with a bias share
 * factor · (b + ε·sign z) · R / (z + ε·sign z) to its `spread`.
 */
export function epsilonOut(z: tf.Tensor, y: tf.Tensor, epsilon: number, share?: BiasShare): tf.Tensor {
  if (!share)
    return custom((zz: tf.Tensor, yy: tf.Tensor, save: tf.GradSaveFunc) => {
      save([zz]);
      return {
        value: yy.clone(),
        gradFunc: (dy: tf.Tensor, [zs]: tf.Tensor[]) => [
          tf.div(dy, tf.add(zs, tf.mul(epsilon, sign(zs)))),
          tf.zerosLike(yy),
        ],
      };
    })(z, y);
  return custom((zz: tf.Tensor, yy: tf.Tensor, bb: tf.Tensor, uu: tf.Tensor, save: tf.GradSaveFunc) => {
    save([zz, bb]);
    return {
      value: yy.clone(),
      gradFunc: (dy: tf.Tensor, [zs, bs]: tf.Tensor[]) => {
        const s = tf.mul(epsilon, sign(zs));
        const q = tf.div(dy, tf.add(zs, s));
        return [q, tf.zerosLike(yy), tf.zerosLike(bb), tf.mul(tf.mul(share.factor, tf.add(bs, s)), q)];
      },
    };
  })(z, y, share.bias, share.spread);
}

/** Forward `y = g(x)`; backward: relevance passes to `x` unchanged. */
export function passThrough(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return custom((xx: tf.Tensor, yy: tf.Tensor) => ({
    value: yy.clone(),
    gradFunc: (dy: tf.Tensor) => [dy, tf.zerosLike(yy)],
  }))(x, y);
}

/** Forward gate ⊙ signal; backward: all relevance to the signal, none to the gate. */
export function gated(gate: tf.Tensor, signal: tf.Tensor): tf.Tensor {
  return custom((g: tf.Tensor, s: tf.Tensor) => ({
    value: tf.mul(g, s),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(g), dy],
  }))(gate, signal);
}

/** Forward `x`, no gradient: attention weights, gates used as weights of a linear map (GRU's r). */
export function detach(x: tf.Tensor): tf.Tensor {
  return custom((xx: tf.Tensor) => ({ value: xx.clone(), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] }))(x);
}
