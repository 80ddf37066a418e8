import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import type { BuildContext, LayerPort, SelfAttentionVariant } from '../port.ts';
import {
  baseArgs,
  floatMask,
  type HistoryAttentionArgs,
  isShapeList,
  KERAS_EPSILON,
  MASK_PENALTY,
  maskArg,
  normalizeLast,
  type Shape,
  shiftedExp,
} from './common.ts';

/**
 * `softmax(Q·Kᵀ/√d)·V` as keras-self-attention computes it, for `q` (…, Tq, d), `k` (…, Tk, d),
 * `v` (…, Tk, dv) with the same leading axes. `keyMask` (B, Tk) hides masked keys, `historyOnly`
 * keys after the query. How depends on `variant`:
 * - `'legacy'` (0.37–0.43): `P = exp(e − max over all keys)·history·keyMask`, `A = P / (Σ P + ε)`
 *   with `ε = epsilon ?? K.epsilon()` (0.42–0.43 configs carry `epsilon`, 0.38–0.41 used 1e-7);
 * - otherwise (0.44 and later): hidden keys pushed down by 10⁴, then a softmax, or with `epsilon`
 *   (only in 0.45 configs) `exp(e − max) / (Σ + epsilon)`.
 *
 * `previous` (RealFormer's residual scores, same shape as `e`) is added to `e` before the masks;
 * `scores` is that sum.
 */
export function scaledDotProduct(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  keyMask: tf.Tensor | null,
  historyOnly: boolean,
  epsilon: number | null = null,
  variant: SelfAttentionVariant = 'current',
  previous: tf.Tensor | null = null,
): { output: tf.Tensor; attention: tf.Tensor; scores: tf.Tensor } {
  const d = q.shape[q.rank - 1];
  const scaled = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
  const e = previous ? tf.add(scaled, previous) : scaled;
  const tq = q.shape[q.rank - 2];
  const tk = k.shape[k.rank - 2];
  const future = historyOnly ? futureKeys(tq, tk) : null;
  const m = keyMask
    ? tf.reshape(floatMask(keyMask), [keyMask.shape[0], ...new Array<number>(e.rank - 2).fill(1), tk])
    : null;
  let attention: tf.Tensor;
  if (variant === 'legacy') {
    let p = shiftedExp(e);
    if (future) p = tf.mul(p, tf.sub(1, future));
    if (m) p = tf.mul(p, m);
    attention = normalizeLast(p, epsilon ?? KERAS_EPSILON);
  } else {
    let logits = e;
    if (future) logits = tf.sub(logits, tf.mul(future, MASK_PENALTY));
    if (m) logits = tf.sub(logits, tf.mul(tf.sub(1, m), MASK_PENALTY));
    attention = epsilon ? normalizeLast(shiftedExp(logits), epsilon) : tf.softmax(logits, -1);
  }
  return { output: tf.matMul(attention, v), attention, scores: e };
}

/** (Tq, Tk) with 1 where the key comes after the query. */
function futureKeys(tq: number, tk: number): tf.Tensor2D {
  const future = new Float32Array(tq * tk);
  for (let t = 0; t < tq; t++) for (let s = t + 1; s < tk; s++) future[t * tk + s] = 1;
  return tf.tensor2d(future, [tq, tk]);
}

/** Constructor arguments of {@link ScaledDotProductAttention}. */
export interface ScaledDotProductAttentionArgs extends HistoryAttentionArgs {
  /**
   * The config's `epsilon`, added to the denominator (keras-self-attention 0.42, 0.43 and 0.45 only);
   * `null` (default) when the config has none.
   */
  epsilon?: number | null;
  /** Which keras-self-attention normalization (see {@link scaledDotProduct}). Default `'current'`. */
  variant?: SelfAttentionVariant;
}

/**
 * keras-self-attention's `ScaledDotProductAttention` (https://arxiv.org/abs/1706.03762): inputs
 * `[query, key, value]` or one tensor used as all three; output `softmax(QKᵀ/√d)·V` (B, Tq, dv).
 * With a list of masks the key mask (second) is applied; TF.js graphs pass only the first input's
 * mask, which then serves as the key mask. No weights.
 */
export class ScaledDotProductAttention extends tf.layers.Layer implements AttentionSource {
  static className = 'ScaledDotProductAttention';
  readonly attentionAxes = ['batch', 'query', 'key'] as const;
  private readonly recorder = new AttentionRecorder();

  readonly returnAttention: boolean;
  readonly historyOnly: boolean;
  readonly epsilon: number | null;
  readonly variant: SelfAttentionVariant;

  constructor(args: ScaledDotProductAttentionArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.returnAttention = args.returnAttention ?? false;
    this.historyOnly = args.historyOnly ?? false;
    this.epsilon = args.epsilon ?? null;
    this.variant = args.variant ?? 'current';
  }

  private run(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> | undefined) {
    const [q, k, v] = Array.isArray(inputs)
      ? inputs.length === 1
        ? [inputs[0], inputs[0], inputs[0]]
        : inputs
      : [inputs, inputs, inputs];
    const mask = maskArg(kwargs);
    const keyMask = Array.isArray(mask) ? ((mask.length > 1 ? mask[1] : mask[0]) ?? null) : mask;
    return scaledDotProduct(q, k, v, keyMask, this.historyOnly, this.epsilon, this.variant);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const { output, attention } = this.run(inputs, kwargs);
      this.recorder.record(attention);
      return this.returnAttention ? [output, attention] : output;
    });
  }

  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.run(inputs, kwargs).attention);
  }

  /** See {@link AttentionSource.recordAttention}. */
  recordAttention(): void {
    this.recorder.start();
  }

  /** See {@link AttentionSource.takeAttention}. */
  takeAttention(): tf.Tensor | null {
    return this.recorder.take();
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [q, k, v] = (
      isShapeList(inputShape)
        ? inputShape.length === 1
          ? [inputShape[0], inputShape[0], inputShape[0]]
          : inputShape
        : [inputShape, inputShape, inputShape]
    ) as Shape[];
    const out = [...q.slice(0, -1), v[v.length - 1]];
    return this.returnAttention ? [out, [q[0], q[1], k[1]]] : out;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    return (this.returnAttention ? [m, null] : m) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      returnAttention: this.returnAttention,
      historyOnly: this.historyOnly,
      epsilon: this.epsilon,
      variant: this.variant,
    };
  }
}
tf.serialization.registerClass(ScaledDotProductAttention);

/** Port of keras-self-attention `ScaledDotProductAttention`; the normalization follows `ctx.semantics.selfAttentionVariant`. */
export const scaledDotProductAttentionPort: LayerPort = {
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'ScaledDotProductAttention');
    return new ScaledDotProductAttention({
      ...baseArgs(config),
      returnAttention: r.bool('return_attention', false),
      historyOnly: r.bool('history_only', false),
      epsilon: r.has('epsilon') ? r.num('epsilon') : null,
      variant: ctx.semantics.selfAttentionVariant,
    });
  },
};
