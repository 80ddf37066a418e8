import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import type { BuildContext, LayerPort, SelfAttentionVariant } from '../port.ts';
import {
  activationFunction,
  attentionWindow,
  baseArgs,
  dotLast,
  featureDim,
  floatMask,
  type HistoryAttentionArgs,
  inputAndMask,
  isShapeList,
  KERAS_EPSILON,
  MASK_PENALTY,
  maskArg,
  normalizeLast,
  type Shape,
  shiftedExp,
  singleMask,
  singleShape,
} from './common.ts';
import { fail } from '../../errors.ts';
import { fastAdditiveScores, fastBatchMatMul } from '../fast/attention.ts';

/** Constructor arguments of {@link SeqSelfAttention} (the Keras config, camel-cased). */
export interface SeqSelfAttentionArgs extends HistoryAttentionArgs {
  /** Hidden size of the additive score. Default 32. */
  units?: number;
  /** Local window width; `null` (default) attends to every step. */
  attentionWidth?: number | null;
  /** `'additive'` (default) or `'multiplicative'`. */
  attentionType?: 'additive' | 'multiplicative';
  /** Additive only: use `bh`. Default true. */
  useAdditiveBias?: boolean;
  /** Use `ba`. Default true. */
  useAttentionBias?: boolean;
  /** TF.js activation identifier applied elementwise to the scores (`'softmax'`: over the last axis). Default `'linear'`. */
  attentionActivation?: string;
  /** Which keras-self-attention formula (see docs/keras-self-attention.md). Default `'current'`. */
  variant?: SelfAttentionVariant;
}

/**
 * keras-self-attention's `SeqSelfAttention`
 * (https://github.com/CyberZHG/keras-self-attention, additive scores after
 * https://arxiv.org/abs/1806.01264): scores `e[t,s]`, normalized over `s` into `A`, output
 * `v_t = Σ_s A[t,s]·x_s`. Weights in Keras order: additive `Wt (F,U)`, `Wx (F,U)`, `bh (U)`,
 * `Wa (U,1)`, `ba (1)`; multiplicative `Wa (F,F)`, `ba (1)`.
 */
export class SeqSelfAttention extends tf.layers.Layer implements AttentionSource {
  static className = 'SeqSelfAttention';
  readonly attentionAxes = ['batch', 'query', 'key'] as const;
  private readonly recorder = new AttentionRecorder();

  readonly units: number;
  readonly attentionWidth: number | null;
  readonly attentionType: 'additive' | 'multiplicative';
  readonly returnAttention: boolean;
  readonly historyOnly: boolean;
  readonly useAdditiveBias: boolean;
  readonly useAttentionBias: boolean;
  readonly attentionActivation: string;
  readonly variant: SelfAttentionVariant;
  private readonly scoreActivation: (x: tf.Tensor) => tf.Tensor;

  private wt: tf.LayerVariable | null = null;
  private wx: tf.LayerVariable | null = null;
  private bh: tf.LayerVariable | null = null;
  private wa: tf.LayerVariable | null = null;
  private ba: tf.LayerVariable | null = null;

  constructor(args: SeqSelfAttentionArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.units = args.units ?? 32;
    this.historyOnly = args.historyOnly ?? false;
    // As in the Python constructor: history_only without a width means "all of the past".
    this.attentionWidth = args.attentionWidth ?? (this.historyOnly ? 1e9 : null);
    this.attentionType = args.attentionType ?? 'additive';
    this.returnAttention = args.returnAttention ?? false;
    this.useAdditiveBias = args.useAdditiveBias ?? true;
    this.useAttentionBias = args.useAttentionBias ?? true;
    this.attentionActivation = args.attentionActivation ?? 'linear';
    this.variant = args.variant ?? 'current';
    this.scoreActivation = activationFunction(this.attentionActivation, this.name);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = featureDim(singleShape(inputShape), this.name);
    const kernel = () => tf.initializers.glorotNormal({});
    const zeros = () => tf.initializers.zeros();
    const n = this.name;
    if (this.attentionType === 'additive') {
      this.wt = this.addWeight(`${n}_Add_Wt`, [f, this.units], 'float32', kernel());
      this.wx = this.addWeight(`${n}_Add_Wx`, [f, this.units], 'float32', kernel());
      if (this.useAdditiveBias) this.bh = this.addWeight(`${n}_Add_bh`, [this.units], 'float32', zeros());
      this.wa = this.addWeight(`${n}_Add_Wa`, [this.units, 1], 'float32', kernel());
      if (this.useAttentionBias) this.ba = this.addWeight(`${n}_Add_ba`, [1], 'float32', zeros());
    } else {
      this.wa = this.addWeight(`${n}_Mul_Wa`, [f, f], 'float32', kernel());
      if (this.useAttentionBias) this.ba = this.addWeight(`${n}_Mul_ba`, [1], 'float32', zeros());
    }
    this.built = true;
  }

  /** Raw scores `e` (B, T, T) before the activation. */
  private scores(x: tf.Tensor): tf.Tensor {
    const [b, t] = x.shape;
    let e: tf.Tensor;
    if (this.attentionType === 'additive') {
      // One fused kernel without the (B, T, T, U) intermediate (fast/attention.ts); the ops below are the reference.
      const fast = fastAdditiveScores(
        x,
        this.wt!.read(),
        this.wx!.read(),
        this.bh?.read() ?? null,
        this.wa!.read(),
        this.ba?.read() ?? null,
      );
      if (fast) return fast;
      const q = tf.expandDims(dotLast(x, this.wt!.read()), 2); // (B, T, 1, U)
      const k = tf.expandDims(dotLast(x, this.wx!.read()), 1); // (B, 1, T, U)
      let h = tf.add(q, k);
      if (this.bh) h = tf.add(h, this.bh.read());
      e = dotLast(tf.tanh(h), this.wa!.read()); // (B, T, T, 1)
      if (this.ba) e = tf.add(e, this.ba.read());
      e = tf.reshape(e, [b, t, t]);
    } else {
      e = tf.matMul(dotLast(x, this.wa!.read()), x, false, true);
      if (this.ba) e = tf.add(e, this.ba.read());
    }
    return e;
  }

  /** The attention weights `A` (B, T, T) for input `x` and its mask. */
  private attention(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const length = x.shape[1] as number;
    const e = this.scoreActivation(this.scores(x));
    const width = this.attentionWidth;
    if (this.variant === 'legacy') {
      // Before 0.46 (and EQTransformer's copy): exp(e − max) · window · mask_t · mask_s, then
      // normalized with + K.epsilon(); the max is over all keys, masked or not.
      let p = shiftedExp(e);
      if (width !== null) p = tf.mul(p, attentionWindow(length, width, this.historyOnly));
      if (mask) {
        const m = floatMask(mask);
        p = tf.mul(tf.mul(p, tf.expandDims(m, 2)), tf.expandDims(m, 1));
      }
      return normalizeLast(p, KERAS_EPSILON);
    }
    let logits = e;
    // 0.46.0 wrote the window test as `(s < lower)·(upper ≤ s)`, which is never 1: no window at all.
    if (width !== null && this.variant === 'current') {
      const outside = tf.sub(1, attentionWindow(length, width, this.historyOnly));
      logits = tf.sub(logits, tf.mul(outside, MASK_PENALTY));
    }
    if (mask) {
      // As written in 0.46+: only pairs where both query and key are masked are pushed down.
      const off = tf.sub(1, floatMask(mask));
      logits = tf.sub(logits, tf.mul(tf.mul(tf.expandDims(off, 2), tf.expandDims(off, 1)), MASK_PENALTY));
    }
    return tf.softmax(logits, -1);
  }

  /**
   * The input, the mask used and the optional positions. keras-self-attention 0.25–0.38 took
   * `[x, positions]` and then used the mask of `positions` (its `mask[1]`), not that of `x`.
   */
  private split(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Record<string, unknown> | undefined,
  ): { x: tf.Tensor; mask: tf.Tensor | null; positions: tf.Tensor | null } {
    if (!Array.isArray(inputs) || inputs.length === 1) {
      const [x, mask] = inputAndMask(inputs, kwargs);
      return { x, mask, positions: null };
    }
    if (inputs.length !== 2) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${this.name}' (SeqSelfAttention) is called on ${inputs.length} inputs; keras-self-attention takes one, or [x, positions] (0.25–0.38).`,
      );
    }
    const m = maskArg(kwargs);
    return { x: inputs[0], mask: Array.isArray(m) ? (m[1] ?? null) : null, positions: inputs[1] };
  }

  /** The attention rows at `positions` (B, P) of each sample, or all of `a` without positions. */
  private select(a: tf.Tensor, positions: tf.Tensor | null): tf.Tensor {
    if (!positions) return a;
    // Flat row indices b·T + p instead of gather's batchDims, which tfjs-backend-wasm gets wrong.
    const [b, t, s] = a.shape;
    const p = positions.shape[1] as number;
    const offsets = tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(t, 'int32'));
    const rows = tf.add(tf.cast(positions, 'int32'), tf.reshape(offsets, [b, 1]));
    return tf.reshape(tf.gather(tf.reshape(a, [b * t, s]), tf.reshape(rows, [-1])), [b, p, s]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const { x, mask, positions } = this.split(inputs, kwargs);
      const a = this.select(this.attention(x, mask), positions);
      this.recorder.record(a);
      const v = fastBatchMatMul(a, x) ?? tf.matMul(a, x);
      return this.returnAttention ? [v, a] : v;
    });
  }

  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const { x, mask, positions } = this.split(inputs, kwargs);
      return this.select(this.attention(x, mask), positions);
    });
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
    const shape = singleShape(inputShape);
    const steps = isShapeList(inputShape) && inputShape.length === 2 ? (inputShape[1] as Shape)[1] : shape[1];
    const out = [shape[0], steps, ...shape.slice(2)];
    if (!this.returnAttention) return out;
    return [out, [shape[0], steps, shape[1]]];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    // With [x, positions] the output steps are the positions', and so is the mask passed on.
    const m =
      Array.isArray(inputs) && inputs.length === 2
        ? Array.isArray(mask)
          ? (mask[1] ?? null)
          : null
        : singleMask(mask);
    return (this.returnAttention ? [m, null] : m) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      attentionWidth: this.attentionWidth,
      attentionType: this.attentionType,
      returnAttention: this.returnAttention,
      historyOnly: this.historyOnly,
      useAdditiveBias: this.useAdditiveBias,
      useAttentionBias: this.useAttentionBias,
      attentionActivation: this.attentionActivation,
      variant: this.variant,
    };
  }
}
tf.serialization.registerClass(SeqSelfAttention);

/** Port of keras-self-attention `SeqSelfAttention`; the formula follows `ctx.semantics.selfAttentionVariant`. */
export const seqSelfAttentionPort: LayerPort = {
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'SeqSelfAttention');
    const activation = r.raw('attention_activation');
    return new SeqSelfAttention({
      ...baseArgs(config),
      units: r.int('units', 32),
      attentionWidth: r.optInt('attention_width'),
      attentionType: r.str('attention_type', 'additive', ['additive', 'multiplicative'] as const),
      returnAttention: r.bool('return_attention', false),
      historyOnly: r.bool('history_only', false),
      useAdditiveBias: r.bool('use_additive_bias', true),
      useAttentionBias: r.bool('use_attention_bias', true),
      attentionActivation: activation == null ? 'linear' : ctx.activation(activation),
      variant: ctx.semantics.selfAttentionVariant,
    });
  },
};
