import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { baseArgs, type HistoryAttentionArgs, isShapeList, maskArg, type Shape } from './common.ts';
import { scaledDotProduct } from './scaled-dot-product-attention.ts';

/**
 * keras-self-attention's `ResidualScaledDotProductAttention` (0.49+, RealFormer,
 * https://arxiv.org/abs/2012.11747): inputs `[query, key, value, previous]` or `[x, previous]`
 * (x as query, key and value); scores `e = Q·Kᵀ/√d + previous`, hidden keys pushed down by 10⁴,
 * softmax. Outputs `[softmax(e)·V, e]` — the scores before the masks, for the next layer's
 * `previous` — and with `returnAttention` the attention as a third. The key's mask (second of four,
 * first of two) is applied; `v` keeps the query's mask, the other outputs have none. No weights.
 */
export class ResidualScaledDotProductAttention extends tf.layers.Layer implements AttentionSource {
  static className = 'ResidualScaledDotProductAttention';
  readonly attentionAxes = ['batch', 'query', 'key'] as const;
  private readonly recorder = new AttentionRecorder();

  readonly returnAttention: boolean;
  readonly historyOnly: boolean;

  constructor(args: HistoryAttentionArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.returnAttention = args.returnAttention ?? false;
    this.historyOnly = args.historyOnly ?? false;
  }

  private checkCount(n: number): void {
    if (n !== 2 && n !== 4)
      fail(
        'INPUT_SHAPE',
        `ResidualScaledDotProductAttention '${this.name}' takes [query, key, value, previous] or [x, previous]; got ${n} input(s). Call it on one of those lists.`,
      );
  }

  private run(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> | undefined) {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.checkCount(list.length);
    const [q, k, v, previous] = list.length === 4 ? list : [list[0], list[0], list[0], list[1]];
    const mask = maskArg(kwargs);
    const masks = Array.isArray(mask) ? mask : [mask];
    const keyMask = (list.length === 4 ? masks[1] : masks[0]) ?? null;
    return scaledDotProduct(q, k, v, keyMask, this.historyOnly, null, 'current', previous);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor[] {
    return tf.tidy(() => {
      const { output, attention, scores } = this.run(inputs, kwargs);
      this.recorder.record(attention);
      return this.returnAttention ? [output, scores, attention] : [output, scores];
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

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const shapes = (isShapeList(inputShape) ? inputShape : [inputShape]) as Shape[];
    this.checkCount(shapes.length);
    const [q, k, v] = shapes.length === 4 ? shapes : [shapes[0], shapes[0], shapes[0]];
    const out = [...q.slice(0, -1), v[v.length - 1]];
    const scores = [q[0], q[1], k[1]];
    return this.returnAttention ? [out, scores, scores] : [out, scores];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    return (this.returnAttention ? [m, null, null] : [m, null]) as tf.Tensor[];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), returnAttention: this.returnAttention, historyOnly: this.historyOnly };
  }
}
tf.serialization.registerClass(ResidualScaledDotProductAttention);

/** Port of keras-self-attention `ResidualScaledDotProductAttention` (only released in its 0.49+ form). */
export const residualScaledDotProductAttentionPort: LayerPort = {
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'ResidualScaledDotProductAttention');
    return new ResidualScaledDotProductAttention({
      ...baseArgs(config),
      returnAttention: r.bool('return_attention', false),
      historyOnly: r.bool('history_only', false),
    });
  },
};
