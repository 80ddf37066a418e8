import * as tf from '@tensorflow/tfjs';
import { isBidirectionalWrapper, isRecurrentSource, type RecurrentCell } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { gateProduct, halfProduct, rescale } from './ops.ts';

/**
 * DeepLIFT through recurrent layers: the recurrence is unrolled on the paired batch [x; x̄] (each
 * half runs its own recurrence), the cell's nonlinearities (gates included) get the Rescale rule and
 * every gate ⊙ signal product gives its whole Δ to the signal ("signal-take-all", Arras et al. 2017,
 * as LRP treats LSTM/GRU gates), except where the gate's term dominates (see `gateProduct`). Every
 * step is exact, so summation-to-delta holds through the whole sequence.
 */

/**
 * The cell of a recurrent layer, through the importer's `RecurrentSource` capability (LSTM, GRU,
 * SimpleRNN, CuDNNLSTM/GRU, both copies inside a Bidirectional).
 */
function cellOf(layer: tf.layers.Layer): RecurrentCell {
  if (!isRecurrentSource(layer))
    return fail(
      'UNSUPPORTED_LAYER',
      `deepLift: no rule for the recurrent layer '${layer.name}' (${layer.getClassName()}). Rules exist for LSTM, GRU, SimpleRNN and their CuDNN forms. Attribute to a layer after it (option layer), or use 'integratedGradients' or 'gradientShap'.`,
    );
  return layer.recurrentCell();
}

/** Refuse what the unrolled rules do not model: masks and given initial states. */
export function checkRecurrentCall(layer: tf.layers.Layer, ins: tf.Tensor[], kwargs: Record<string, unknown>): void {
  if (kwargs.mask)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: layer '${layer.name}' receives a mask (from Masking or Embedding(mask_zero)); DeepLIFT through masked recurrent layers is not implemented. Attribute to a layer after it (option layer), or use 'integratedGradients'.`,
    );
  if (ins.length > 1 || kwargs.initialState)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: recurrent layer '${layer.name}' is given an initial state; the DeepLIFT rule covers recurrent layers that start from zeros. Use 'integratedGradients' or 'gradientShap'.`,
    );
}

/** x·W for every step, as (B, G·U) slices in processing order. */
function projectInputs(x: tf.Tensor, kernel: tf.Tensor, goBackwards: boolean): tf.Tensor[] {
  const [b, t, f] = x.shape as number[];
  const xr = goBackwards ? tf.reverse(x, 1) : x;
  const xw = tf.reshape(tf.matMul(tf.reshape(xr, [b * t, f]), kernel), [b, t, -1]);
  // Slices, not tf.unstack: unstack's gradient fails for a single step in TF.js 4.22.
  return Array.from({ length: t }, (_, i) => tf.reshape(tf.slice(xw, [0, i, 0], [b, 1, -1]), [b, -1]));
}

const plus = (v: tf.Tensor, b: tf.Tensor | null) => (b ? tf.add(v, b) : v);

/** A gate σ(z) with the Rescale rule: it carries a multiplier where it takes a product's Δ (see `gateProduct`). */
const gate = (c: RecurrentCell, z: tf.Tensor, eps: number) =>
  rescale(z, c.applyRecurrentActivation(z), eps, (t) => c.applyRecurrentActivation(t));
/** The cell's activation act(z) with the Rescale rule. */
const act = (c: RecurrentCell, z: tf.Tensor, eps: number) =>
  rescale(z, c.applyActivation(z), eps, (t) => c.applyActivation(t));

/** LSTM: c = f⊙c′ + i⊙g, h = o⊙act(c); Rescale on g = act(z_g), on act(c) and on the gates i, f, o. */
function lstm(c: RecurrentCell, x: tf.Tensor, eps: number): tf.Tensor[] {
  const [bi, bf, bg, bo] = c.bias ? tf.split(c.bias, 4, 0) : [null, null, null, null];
  let h: tf.Tensor = tf.zeros([x.shape[0] as number, c.units]);
  let cs: tf.Tensor = tf.zeros([x.shape[0] as number, c.units]);
  const outs: tf.Tensor[] = [];
  for (const xt of projectInputs(x, c.kernel, c.goBackwards)) {
    const z = tf.add(xt, tf.matMul(h, c.recurrentKernel));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    const pre = plus(zg, bg);
    const g = act(c, pre, eps);
    cs = tf.add(gateProduct(gate(c, plus(zf, bf), eps), cs, eps), gateProduct(gate(c, plus(zi, bi), eps), g, eps));
    h = gateProduct(gate(c, plus(zo, bo), eps), act(c, cs, eps), eps);
    outs.push(h);
  }
  return finish(outs, [h, cs], c);
}

/** SimpleRNN: h = act(x·W + h·U + b), Rescale from the pre-activation. */
function simple(c: RecurrentCell, x: tf.Tensor, eps: number): tf.Tensor[] {
  let h: tf.Tensor = tf.zeros([x.shape[0] as number, c.units]);
  const outs: tf.Tensor[] = [];
  for (const xt of projectInputs(x, c.kernel, c.goBackwards)) {
    const z = plus(tf.add(xt, tf.matMul(h, c.recurrentKernel)), c.bias);
    h = act(c, z, eps);
    outs.push(h);
  }
  return finish(outs, [h], c);
}

/**
 * Keras GRU, both reset_after modes: h = z⊙h′ + (1−z)⊙h̃ with h̃ = act(x·W_h + r⊙(h′·U_h + b_rh)) or
 * act(x·W_h + (r⊙h′)·U_h); z, 1 − z and r are gates of the products, Rescale from h̃'s
 * pre-activation (and from r's for the term r⊙b_rh, which multiplies no signal).
 */
function gru(c: RecurrentCell, x: tf.Tensor, eps: number): tf.Tensor[] {
  const u = c.units;
  const [inB, recB] = c.bias && c.resetAfter ? tf.unstack(c.bias, 0) : [c.bias, null];
  const [bz, br, bh] = inB ? tf.split(inB, 3, 0) : [null, null, null];
  const [rz, rr, rh] = recB ? tf.split(recB, 3, 0) : [null, null, null];
  const rk = c.recurrentKernel;
  let h: tf.Tensor = tf.zeros([x.shape[0] as number, u]);
  const outs: tf.Tensor[] = [];
  for (const xt of projectInputs(x, c.kernel, c.goBackwards)) {
    const [xz, xr, xh] = tf.split(xt, 3, 1);
    let z: tf.Tensor;
    let pre: tf.Tensor;
    if (c.resetAfter) {
      const [iz, ir, ih] = tf.split(tf.matMul(h, rk), 3, 1);
      z = gate(c, plus(plus(tf.add(xz, iz), bz), rz), eps);
      const r = gate(c, plus(plus(tf.add(xr, ir), br), rr), eps);
      pre = plus(tf.add(xh, gateProduct(r, ih, eps)), bh);
      // r ⊙ b_rh multiplies no signal: it is the gate's own function b_rh·σ(z_r), Rescale from z_r.
      if (rh) pre = tf.add(pre, tf.mul(r, rh));
    } else {
      const [iz, ir] = tf.split(tf.matMul(h, tf.slice(rk, [0, 0], [u, 2 * u])), 2, 1);
      z = gate(c, plus(tf.add(xz, iz), bz), eps);
      const r = gate(c, plus(tf.add(xr, ir), br), eps);
      pre = plus(tf.add(xh, tf.matMul(gateProduct(r, h, eps), tf.slice(rk, [0, 2 * u], [u, u]))), bh);
    }
    const hh = act(c, pre, eps);
    h = tf.add(gateProduct(z, h, eps), gateProduct(tf.sub(1, z), hh, eps));
    outs.push(h);
  }
  return finish(outs, [h], c);
}

function finish(outs: tf.Tensor[], states: tf.Tensor[], c: RecurrentCell): tf.Tensor[] {
  const result = c.returnSequences ? tf.stack(outs, 1) : outs[outs.length - 1];
  return c.returnState ? [result, ...states] : [result];
}

/** A recurrent layer (LSTM, GRU, SimpleRNN, CuDNNLSTM/GRU) under DeepLIFT, on a paired batch. */
export function deepLiftRecurrent(layer: tf.layers.Layer, x: tf.Tensor, eps: number): tf.Tensor[] {
  const c = cellOf(layer);
  return c.kind === 'lstm' ? lstm(c, x, eps) : c.kind === 'gru' ? gru(c, x, eps) : simple(c, x, eps);
}

/**
 * Bidirectional: both directions under DeepLIFT; `concat`, `sum` and `ave` are linear, `mul`
 * splits the interaction in half (as Keras' Multiply).
 */
export function deepLiftBidirectional(layer: tf.layers.Layer, x: tf.Tensor, eps: number): tf.Tensor[] {
  if (!isBidirectionalWrapper(layer))
    return fail(
      'UNSUPPORTED_LAYER',
      `deepLift: layer '${layer.name}' is not a Bidirectional wrapper the importer made.`,
    );
  const l = layer;
  const fwd = deepLiftRecurrent(l.forwardLayer, x, eps);
  const bwd = deepLiftRecurrent(l.backwardLayer, x, eps);
  if (fwd.length > 1)
    fail(
      'UNSUPPORTED_LAYER',
      `deepLift: Bidirectional layer '${layer.name}' returns its states; the DeepLIFT rule covers return_state=False.`,
    );
  const y = fwd[0];
  const returnSequences = isRecurrentSource(l.forwardLayer) && l.forwardLayer.recurrentCell().returnSequences;
  const yr = returnSequences ? tf.reverse(bwd[0], 1) : bwd[0];
  switch (l.mergeMode) {
    case 'concat':
      return [tf.concat([y, yr], -1)];
    case 'sum':
      return [tf.add(y, yr)];
    case 'ave':
      return [tf.mul(0.5, tf.add(y, yr))];
    case 'mul':
      return [halfProduct(y, yr)];
    case null:
      return [y, yr];
    default:
      return fail(
        'UNSUPPORTED_LAYER',
        `deepLift: Bidirectional layer '${layer.name}' merges with '${l.mergeMode}'; the DeepLIFT rule covers 'concat', 'sum', 'ave', 'mul' and none.`,
      );
  }
}
