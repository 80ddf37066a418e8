import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import type { LayerPort } from '../port.ts';
import {
  baseArgs,
  floatMask,
  type HistoryAttentionArgs,
  isShapeList,
  MASK_PENALTY,
  maskArg,
  normalizeLast,
  type Shape,
  shiftedExp,
} from './common.ts';

/**
 * `softmax(Q·Kᵀ/√d)·V` as keras-self-attention computes it, for `q` (…, Tq, d), `k` (…, Tk, d),
 * `v` (…, Tk, dv) with the same leading axes. `keyMask` (B, Tk) pushes masked keys down by 10⁴;
 * `historyOnly` does the same to keys after the query. `epsilon` (only in 0.45–0.46 configs, default
 * 0) is added to the softmax denominator.
 */
export function scaledDotProduct(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  keyMask: tf.Tensor | null,
  historyOnly: boolean,
  epsilon = 0,
): { output: tf.Tensor; attention: tf.Tensor } {
  const d = q.shape[q.rank - 1];
  let e = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
  const tq = q.shape[q.rank - 2];
  const tk = k.shape[k.rank - 2];
  if (historyOnly) {
    const future = new Float32Array(tq * tk);
    for (let t = 0; t < tq; t++) for (let s = t + 1; s < tk; s++) future[t * tk + s] = 1;
    e = tf.sub(e, tf.mul(tf.tensor2d(future, [tq, tk]), MASK_PENALTY));
  }
  if (keyMask) {
    const m = tf.reshape(floatMask(keyMask), [keyMask.shape[0], ...new Array<number>(e.rank - 2).fill(1), tk]);
    e = tf.sub(e, tf.mul(tf.sub(1, m), MASK_PENALTY));
  }
  let attention: tf.Tensor;
  if (epsilon === 0) {
    attention = tf.softmax(e, -1);
  } else {
    attention = normalizeLast(shiftedExp(e), epsilon);
  }
  return { output: tf.matMul(attention, v), attention };
}

/** Constructor arguments of {@link ScaledDotProductAttention}. */
export interface ScaledDotProductAttentionArgs extends HistoryAttentionArgs {
  /** Added to the softmax denominator (keras-self-attention 0.45–0.46 only). Default 0. */
  epsilon?: number;
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
  readonly epsilon: number;

  constructor(args: ScaledDotProductAttentionArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.returnAttention = args.returnAttention ?? false;
    this.historyOnly = args.historyOnly ?? false;
    this.epsilon = args.epsilon ?? 0;
  }

  private run(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> | undefined) {
    const [q, k, v] = Array.isArray(inputs)
      ? inputs.length === 1
        ? [inputs[0], inputs[0], inputs[0]]
        : inputs
      : [inputs, inputs, inputs];
    const mask = maskArg(kwargs);
    const keyMask = Array.isArray(mask) ? ((mask.length > 1 ? mask[1] : mask[0]) ?? null) : mask;
    return scaledDotProduct(q, k, v, keyMask, this.historyOnly, this.epsilon);
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
    };
  }
}
tf.serialization.registerClass(ScaledDotProductAttention);

/** Port of keras-self-attention `ScaledDotProductAttention`. */
export const scaledDotProductAttentionPort: LayerPort = {
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'ScaledDotProductAttention');
    return new ScaledDotProductAttention({
      ...baseArgs(config),
      returnAttention: r.bool('return_attention', false),
      historyOnly: r.bool('history_only', false),
      epsilon: r.num('epsilon', 0),
    });
  },
};
