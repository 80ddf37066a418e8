import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';

/**
 * DeepLIFT as a modified gradient (Ancona et al. 2018, https://arxiv.org/abs/1711.06104), the way
 * Captum runs it: the model is evaluated on a paired batch [x; x̄] (the inputs, then their
 * references, row for row), and the backward pass of every nonlinearity is replaced by the
 * multiplier Δy/Δx of the pair. Rows of the reference half get no gradient; the multipliers are
 * read off the input half, and attribution = multiplier ⊙ (x − x̄). Linear maps keep their own
 * gradient, which is their exact multiplier, so Σ attribution = f(x) − f(x̄) ("summation-to-delta").
 */

/** Below this |Δx| the pair's ratio is replaced by the gradient at x (Captum's `eps`). */
export const DEEPLIFT_EPS = 1e-10;

type Grads = (dy: tf.Tensor, inputs: tf.Tensor[], value: tf.Tensor) => tf.Tensor[];

/**
 * Forward `value`; backward `grads(dy, inputs)` to `inputs`. `value` is not an input of the op, so
 * the backward pass never runs through how it was computed (the real layer's own ops).
 */
function pairedOp(inputs: tf.Tensor[], value: tf.Tensor, grads: Grads): tf.Tensor {
  const f = (...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    // Saved tensors outlive the tidy scopes of the forward pass; `value` is saved, not an input.
    save([...(args.slice(0, -1) as tf.Tensor[]), value]);
    return {
      value: value.clone(),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grads(dy, saved.slice(0, -1), saved[saved.length - 1]),
    };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0])(...inputs) as tf.Tensor;
}

/** The input half and the reference half of a paired batch. */
export function halves(t: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const n = t.shape[0] as number;
  if (n % 2 !== 0)
    fail(
      'BAD_OPTION',
      `deepLift: a backward pass ran on ${n} rows, which is not a batch of (input, reference) pairs. DeepLIFT's layer rules only apply inside the deepLift methods.`,
    );
  return tf.split(t, 2, 0) as [tf.Tensor, tf.Tensor];
}

/** The gradient for the input half, zeros for the reference half. */
function inputHalf(g: tf.Tensor): tf.Tensor {
  return tf.concat([g, tf.zerosLike(g)], 0);
}

/** a / b where |b| ≥ eps, else `fallback`. */
function ratio(a: tf.Tensor, b: tf.Tensor, fallback: tf.Tensor, eps: number): tf.Tensor {
  const small = tf.less(tf.abs(b), eps);
  return tf.where(small, fallback, tf.div(a, tf.where(small, tf.onesLike(b), b)));
}

/**
 * g′(z) by a central difference (gradients cannot be taken inside a backward pass in TF.js); it is
 * used only where |Δz| < eps, where the contribution m·Δz is ~0 whatever m is.
 */
function slope(act: (t: tf.Tensor) => tf.Tensor, z: tf.Tensor): tf.Tensor {
  const h = tf.mul(1e-3, tf.maximum(1, tf.abs(z)));
  return tf.div(tf.sub(act(tf.add(z, h)), act(tf.sub(z, h))), tf.mul(2, h));
}

/**
 * Rescale rule for an elementwise y = g(z): multiplier Δy/Δz, the gradient g′(z) where |Δz| < eps.
 * `act` gives that gradient; without it (an activation TF.js cannot name) the multiplier is 0 there.
 */
export function rescale(z: tf.Tensor, y: tf.Tensor, eps: number, act?: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  return pairedOp([z], y, (dy, [zs], ys) => {
    const [zx, zr] = halves(zs);
    const [yx, yr] = halves(ys);
    const grad = act ? slope(act, zx) : tf.zerosLike(zx);
    return [inputHalf(tf.mul(halves(dy)[0], ratio(tf.sub(yx, yr), tf.sub(zx, zr), grad, eps)))];
  });
}

/**
 * Softmax over the last axis (DeepLIFT paper §3.6: softmax is invariant to shifting its input, so
 * the signal is u = z − mean(z)): each output's multiplier Δyᵢ/Δuᵢ, mapped back through the
 * centring, so contributions are those of the normalized logits, rescaled to sum to Δy.
 */
export function softmaxRescale(z: tf.Tensor, y: tf.Tensor, eps: number): tf.Tensor {
  return pairedOp([z], y, (dy, [zs], ys) => {
    const u = tf.sub(zs, tf.mean(zs, -1, true));
    const [ux, ur] = halves(u);
    const [yx, yr] = halves(ys);
    const grad = tf.mul(yx, tf.sub(1, yx));
    const r = tf.mul(halves(dy)[0], ratio(tf.sub(yx, yr), tf.sub(ux, ur), grad, eps));
    return [inputHalf(tf.sub(r, tf.mean(r, -1, true)))];
  });
}

/**
 * A product gate ⊙ signal (LSTM/GRU gates): Δ(g·s) = g·Δs + s̄·Δg is given whole to one factor, the
 * signal ("signal-take-all", Arras et al. 2017, as LRP treats gates: multiplier Δ(g·s)/Δs, the gate
 * gets nothing) wherever its own term |g·Δs| is at least the gate's |s̄·Δg|, else the gate
 * (multiplier Δ(g·s)/Δg). Pure signal-take-all divides by Δs even where the signal barely moved (a
 * tanh saturated in both halves, an early state): multipliers up to |s̄·Δg/Δs| compound over the
 * steps and float32 rounding grows with them (1e6-sized attributions and delta 0.4 on a real
 * BiLSTM); with the switch each multiplier stays within 2·max(|g|, |s̄|). Each product's Δ is
 * given whole, so summation-to-delta holds.
 */
export function gateProduct(gate: tf.Tensor, signal: tf.Tensor, eps: number): tf.Tensor {
  const y = tf.mul(gate, signal);
  return pairedOp([gate, signal], y, (dy, [gs, ss], ys) => {
    const [gx, gr] = halves(gs);
    const [sx, sr] = halves(ss);
    const [yx, yr] = halves(ys);
    const d = halves(dy)[0];
    const dsig = tf.sub(sx, sr);
    const dgate = tf.sub(gx, gr);
    const dy0 = tf.sub(yx, yr);
    const toSignal = tf.greaterEqual(tf.abs(tf.mul(gx, dsig)), tf.abs(tf.mul(sr, dgate)));
    const zero = tf.zerosLike(gx);
    const toGate = tf.where(toSignal, zero, ratio(dy0, dgate, sx, eps));
    const toSig = tf.where(toSignal, ratio(dy0, dsig, gx, eps), zero);
    return [inputHalf(tf.mul(d, toGate)), inputHalf(tf.mul(d, toSig))];
  });
}

/**
 * An elementwise product of two signals a ⊙ b (Keras `Multiply`): Δ(ab) = ½(b + b̄)Δa + ½(a + ā)Δb
 * exactly, the interaction term split in half (DeepLIFT paper, appendix on products).
 */
export function halfProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const y = tf.mul(a, b);
  return pairedOp([a, b], y, (dy, [as, bs], ys) => {
    const [ax, ar] = halves(as);
    const [bx, br] = halves(bs);
    const d = halves(dy)[0];
    return [inputHalf(tf.mul(d, tf.mul(0.5, tf.add(bx, br)))), inputHalf(tf.mul(d, tf.mul(0.5, tf.add(ax, ar))))];
  });
}

/**
 * Attention output A·V with the weights A as gates (signal-take-all, as LRP's attention rule):
 * each product A_qk·V_kd gives its whole Δ to V, so V's multiplier is
 * (V ⊙ Aᵀm − V̄ ⊙ Āᵀm) / ΔV (Aᵀm where |ΔV| < eps). A is (B, Tq, Tk) with V (B, Tk, D), or
 * (B, T) pooling weights with V (B, T, D).
 */
export function attendValues(a: tf.Tensor, v: tf.Tensor, eps: number): tf.Tensor {
  const pooled = a.rank === 2;
  const apply = (aa: tf.Tensor, vv: tf.Tensor) =>
    pooled ? tf.sum(tf.mul(vv, tf.expandDims(aa, -1)), 1) : tf.matMul(aa, vv);
  // Aᵀ·m: how much of the output's multiplier m reaches each value row.
  const back = (aa: tf.Tensor, m: tf.Tensor) =>
    pooled ? tf.mul(tf.expandDims(aa, -1), tf.expandDims(m, 1)) : tf.matMul(aa, m, true, false);
  const y = apply(a, v);
  return pairedOp([a, v], y, (dy, [as, vs], ys) => {
    const [ax, ar] = halves(as);
    const [vx, vr] = halves(vs);
    const m = halves(dy)[0];
    const bx = back(ax, m);
    const num = tf.sub(tf.mul(vx, bx), tf.mul(vr, back(ar, m)));
    return [tf.zerosLike(as), inputHalf(ratio(num, tf.sub(vx, vr), bx, eps))];
  });
}

/**
 * Selections (max pooling, `Maximum`, `Minimum`) given as `picked`, the selected values gathered at
 * the positions the operation picks at x, in both halves (the references are read at x's picks):
 * the output's whole Δ goes to the value picked at x, with multiplier Δy/Δ(picked) (Captum's maxpool
 * rule), the plain gradient 1 where |Δ| < eps. `y` is the real output.
 */
export function selection(picked: tf.Tensor, y: tf.Tensor, eps: number): tf.Tensor {
  return rescale(picked, y, eps, (t) => t);
}

/** The one-hot of the input half's picks, repeated for the reference half. */
export function pairedMask(mask: tf.Tensor): tf.Tensor {
  return tf.concat([mask, mask], 0);
}

/**
 * RevealCancel for y = g(xW + b) (DeepLIFT paper §3.5.3): positive and negative parts of Δz,
 * Δz⁺ = Σ max(0, wΔx) and Δz⁻ = Σ min(0, wΔx), get separate multipliers Δy⁺/Δz⁺ and Δy⁻/Δz⁻ with
 * Δy± = ½[g(z̄ + Δz±) − g(z̄)] + ½[g(z̄ + Δz∓ + Δz±) − g(z̄ + Δz∓)], and each input's multiplier is
 * w times the multiplier of the part its wΔx falls in. Σ contributions = Δy exactly.
 * `x` is (rows, …, in) with the kernel `w` (in, out) on the last axis.
 */
export function revealCancelDense(
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor | null,
  y: tf.Tensor,
  act: (t: tf.Tensor) => tf.Tensor,
  eps: number,
): tf.Tensor {
  return pairedOp([x], y, (dy, [xs], ys) => {
    const flat = (t: tf.Tensor) => tf.reshape(t, [-1, t.shape[t.rank - 1] as number]);
    const [xx, xr] = halves(xs).map(flat);
    const m = flat(halves(dy)[0]);
    const dx = tf.sub(xx, xr);
    const wp = tf.relu(w);
    const wn = tf.neg(tf.relu(tf.neg(w)));
    const dxp = tf.relu(dx);
    const dxn = tf.neg(tf.relu(tf.neg(dx)));
    const dzp = tf.add(tf.matMul(dxp, wp), tf.matMul(dxn, wn));
    const dzn = tf.add(tf.matMul(dxp, wn), tf.matMul(dxn, wp));
    let zr = tf.matMul(xr, w);
    if (b) zr = tf.add(zr, b);
    const g0 = act(zr);
    const dyp = tf.mul(
      0.5,
      tf.add(tf.sub(act(tf.add(zr, dzp)), g0), tf.sub(act(tf.add(tf.add(zr, dzn), dzp)), act(tf.add(zr, dzn)))),
    );
    const dyn = tf.mul(
      0.5,
      tf.add(tf.sub(act(tf.add(zr, dzn)), g0), tf.sub(act(tf.add(tf.add(zr, dzp), dzn)), act(tf.add(zr, dzp)))),
    );
    const zx = b ? tf.add(tf.matMul(xx, w), b) : tf.matMul(xx, w);
    const grad = slope(act, zx);
    const rp = tf.mul(m, ratio(dyp, dzp, grad, eps));
    const rn = tf.mul(m, ratio(dyn, dzn, grad, eps));
    const toPos = tf.add(tf.matMul(rp, wp, false, true), tf.matMul(rn, wn, false, true));
    const toNeg = tf.add(tf.matMul(rp, wn, false, true), tf.matMul(rn, wp, false, true));
    const plain = tf.matMul(tf.mul(m, grad), w, false, true);
    const d = tf.where(tf.greater(dx, 0), toPos, tf.where(tf.less(dx, 0), toNeg, plain));
    return [inputHalf(tf.reshape(d, halves(xs)[0].shape))];
  });
}
