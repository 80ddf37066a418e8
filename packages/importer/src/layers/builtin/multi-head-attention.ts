import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { ScoredAttentionLayer } from './attention-layer.ts';
import { boolKwarg, kwarg, maskToFloat, register, type Shape } from './common.ts';

/** What each call input of a {@link KerasMultiHeadAttention} is. */
export type MhaInputRole = 'query' | 'value' | 'key' | 'attention_mask';

/** Options of {@link KerasMultiHeadAttention}; the TF.js spelling of Keras' config. */
export interface KerasMultiHeadAttentionArgs {
  name?: string;
  trainable?: boolean;
  numHeads: number;
  /** Size of each head for query and key. */
  keyDim: number;
  /** Size of each head for value. Default `keyDim`. */
  valueDim?: number;
  /** Default `true`. */
  useBias?: boolean;
  /** Output feature shape (without batch and steps). Default: the query's feature size. */
  outputShape?: number[] | null;
  /** Keras 3.11+ `sliding_window`: key s allowed iff |t − s| < w. Default `null` (off). */
  slidingWindow?: number | null;
  /**
   * Whether the Keras masks of query/value/key mask the attention (Keras 3 and tf.keras ≥ 2.10;
   * earlier tf.keras ignored them). Default `true`.
   */
  useKerasMasks?: boolean;
  /**
   * Zero the attention weights at masked positions after the softmax (Keras ≥ 3.10); earlier Keras
   * leaves a fully masked query row uniform. Default `true`.
   */
  zeroMaskedWeights?: boolean;
  /** Call default for `use_causal_mask`; set from the kwargs of the symbolic call. */
  useCausalMask?: boolean;
  /** Call default for `return_attention_scores`: return `[output, scores (B, H, Tq, Tk)]`. */
  returnAttentionScores?: boolean;
  /**
   * The role of each call input, e.g. `['query', 'value']` (the default for positional calls) or
   * `['query', 'value', 'attention_mask']`. Set from the `tensorKwargNames` kwarg of the symbolic call.
   */
  inputRoles?: MhaInputRole[] | null;
}

const MASKED = 1e9;

/**
 * Keras' built-in `MultiHeadAttention` (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762) for
 * rank-3 inputs attending over the sequence axis. Weights, in Keras order: `query/kernel` (Dq, H, dk),
 * `query/bias` (H, dk), `key/kernel` (Dk, H, dk), `key/bias`, `value/kernel` (Dv, H, dv), `value/bias`
 * (H, dv), `attention_output/kernel` (H, dv, *out), `attention_output/bias` (*out).
 * `scores = softmax((Q/√dk)·Kᵀ)` per head, masked by the query/value/key masks, `attention_mask`,
 * the causal mask and the sliding window (masked logits −1e9); output `Σ_h (scores·V)_h·Wo + bo`.
 * `dropout` is training-only and ignored. The output mask is the query mask.
 */
export class KerasMultiHeadAttention extends ScoredAttentionLayer {
  static className = 'KerasMultiHeadAttention';
  readonly attentionAxes = ['batch', 'head', 'query', 'key'] as const;
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly useBias: boolean;
  readonly outputShapeArg: number[] | null;
  readonly slidingWindow: number | null;
  readonly useKerasMasks: boolean;
  readonly zeroMaskedWeights: boolean;
  useCausalMask: boolean;
  returnAttentionScores: boolean;
  inputRoles: MhaInputRole[] | null;
  private w: Record<string, tf.LayerVariable | null> = {};

  constructor(args: KerasMultiHeadAttentionArgs) {
    super(args as never);
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.useBias = args.useBias ?? true;
    this.outputShapeArg = args.outputShape ?? null;
    this.slidingWindow = args.slidingWindow ?? null;
    this.useKerasMasks = args.useKerasMasks ?? true;
    this.zeroMaskedWeights = args.zeroMaskedWeights ?? true;
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
    this.inputRoles = args.inputRoles ?? null;
    this.supportsMasking = true;
  }

  override apply(
    inputs: tf.Tensor | tf.SymbolicTensor | (tf.Tensor | tf.SymbolicTensor)[],
    kwargs?: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const symbolic = list.some((t) => t instanceof tf.SymbolicTensor);
    const saved = [this.returnAttentionScores, this.useCausalMask, this.inputRoles] as const;
    this.returnAttentionScores = boolKwarg(kwargs, 'return_attention_scores', this.returnAttentionScores);
    this.useCausalMask = boolKwarg(kwargs, 'use_causal_mask', this.useCausalMask);
    this.inputRoles = this.roles(list.length, kwargs);
    try {
      return super.apply(inputs as never, kwargs);
    } finally {
      // An eager call's kwargs apply to that call only; a symbolic call's become the layer's defaults.
      if (!symbolic) [this.returnAttentionScores, this.useCausalMask, this.inputRoles] = saved;
    }
  }

  /** Roles of `n` inputs: positional query, value, key, then the tensor kwargs by name. */
  private roles(n: number, kwargs?: Record<string, unknown>): MhaInputRole[] {
    const named = kwarg(kwargs, 'tensor_kwarg_names') as string[] | undefined;
    if (!named && this.inputRoles && this.inputRoles.length === n) return this.inputRoles;
    const names = named ?? [];
    const positional = (['query', 'value', 'key', 'attention_mask'] as MhaInputRole[]).slice(0, n - names.length);
    const roles = [...positional, ...(names as MhaInputRole[])];
    for (const r of roles) {
      if (!['query', 'value', 'key', 'attention_mask'].includes(r)) {
        fail(
          'UNSUPPORTED_CONFIG',
          `MultiHeadAttention '${this.name}': call argument '${r}' is not supported (query, value, key, attention_mask are).`,
        );
      }
    }
    if (!roles.includes('query') || !roles.includes('value')) {
      fail(
        'INPUT_SHAPE',
        `MultiHeadAttention '${this.name}' needs query and value inputs; got ${JSON.stringify(roles)}.`,
      );
    }
    return roles;
  }

  private pick<T>(items: T[]): { query: T; value: T; key: T; attentionMask: T | null; keyGiven: boolean } {
    const roles = this.inputRoles ?? this.roles(items.length);
    const get = (r: MhaInputRole) => {
      const i = roles.indexOf(r);
      return i < 0 ? null : items[i];
    };
    const value = get('value') as T;
    const key = get('key');
    return {
      query: get('query') as T,
      value,
      key: key ?? value,
      attentionMask: get('attention_mask'),
      keyGiven: key !== null,
    };
  }

  private outFeatures(queryShape: Shape): number[] {
    return this.outputShapeArg ?? [queryShape[queryShape.length - 1] as number];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const { query, value, key } = this.pick(shapes);
    for (const [n, s] of [
      ['query', query],
      ['value', value],
      ['key', key],
    ] as const) {
      if (s.length !== 3 || s[2] === null) {
        fail(
          'UNSUPPORTED_CONFIG',
          `MultiHeadAttention '${this.name}': only rank-3 (batch, steps, features) ${n} inputs with known features are supported (attention over the steps axis); got ${JSON.stringify(s)}.`,
        );
      }
    }
    const h = this.numHeads;
    const add = (name: string, shape: number[], bias: boolean) =>
      this.addWeight(name, shape, 'float32', bias ? tf.initializers.zeros() : tf.initializers.glorotUniform({}));
    this.w.qk = add('query/kernel', [query[2] as number, h, this.keyDim], false);
    this.w.qb = this.useBias ? add('query/bias', [h, this.keyDim], true) : null;
    this.w.kk = add('key/kernel', [key[2] as number, h, this.keyDim], false);
    this.w.kb = this.useBias ? add('key/bias', [h, this.keyDim], true) : null;
    this.w.vk = add('value/kernel', [value[2] as number, h, this.valueDim], false);
    this.w.vb = this.useBias ? add('value/bias', [h, this.valueDim], true) : null;
    const out = this.outFeatures(query);
    this.w.ok = add('attention_output/kernel', [h, this.valueDim, ...out], false);
    this.w.ob = this.useBias ? add('attention_output/bias', out, true) : null;
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const { query, key } = this.pick(shapes);
    const out = [query[0], query[1], ...this.outFeatures(query)];
    return this.returnAttentionScores ? [out, [query[0], this.numHeads, query[1], key[1]]] : out;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const masks = Array.isArray(mask) ? mask : [mask ?? null];
    const q = this.inputRoles ? (masks[this.inputRoles.indexOf('query')] ?? null) : (masks[0] ?? null);
    void inputs;
    return (this.returnAttentionScores ? [q, null] : q) as tf.Tensor;
  }

  /** (B, T, D) · (D, H, d) + (H, d) → (B, H, T, d). */
  private project(x: tf.Tensor, kernel: tf.LayerVariable, bias: tf.LayerVariable | null, d: number): tf.Tensor {
    const [b, t, f] = x.shape as number[];
    let y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, f]), tf.reshape(kernel.read(), [f, this.numHeads * d])), [
      b,
      t,
      this.numHeads,
      d,
    ]);
    if (bias) y = tf.add(y, bias.read());
    return tf.transpose(y, [0, 2, 1, 3]);
  }

  /** `[output, weights (B, H, Tq, Tk)]`. */
  protected attend(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): [tf.Tensor, tf.Tensor] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const { query, value, key, attentionMask, keyGiven } = this.pick(list);
    const rawMask = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
    let masks: (tf.Tensor | null)[];
    if (Array.isArray(rawMask)) masks = rawMask;
    else if (rawMask) {
      // TF.js' executor passes only the first input's mask; it is also the value's when they are one tensor.
      masks = list.map((t) => (t === list[0] ? rawMask : null));
    } else masks = [];
    const m = this.pick(list.map((_, i) => masks[i] ?? null));
    const [b, tq] = query.shape as number[];
    const tk = key.shape[1] as number;
    const q = tf.mul(this.project(query, this.w.qk!, this.w.qb, this.keyDim), 1 / Math.sqrt(this.keyDim));
    const k = this.project(key, this.w.kk!, this.w.kb, this.keyDim);
    const v = this.project(value, this.w.vk!, this.w.vb, this.valueDim);
    let scores = tf.matMul(q, k, false, true); // (B, H, Tq, Tk)
    let allowed: tf.Tensor | null = attentionMask ? maskToFloat(attentionMask) : null;
    const and = (mask: tf.Tensor) => {
      allowed = allowed ? tf.mul(allowed, mask) : mask;
    };
    if (this.useKerasMasks) {
      if (m.query) and(tf.expandDims(maskToFloat(m.query), -1));
      if (m.value) and(tf.expandDims(maskToFloat(m.value), -2));
      if (keyGiven && m.key) and(tf.expandDims(maskToFloat(m.key), -2));
    }
    const rows = tf.range(0, tq, 1, 'int32').reshape([tq, 1]);
    const cols = tf.range(0, tk, 1, 'int32').reshape([1, tk]);
    if (boolKwarg(kwargs, 'use_causal_mask', this.useCausalMask))
      and(tf.cast(tf.greaterEqual(rows, cols), 'float32').reshape([1, tq, tk]));
    if (this.slidingWindow !== null)
      and(tf.cast(tf.less(tf.abs(tf.sub(rows, cols)), this.slidingWindow), 'float32').reshape([1, tq, tk]));
    let mask4: tf.Tensor | null = null;
    if (allowed) {
      mask4 = tf.expandDims(allowed as tf.Tensor, 1); // broadcast over heads
      scores = tf.add(scores, tf.mul(tf.sub(1, mask4), -MASKED));
    }
    let weights = tf.softmax(scores);
    if (mask4 && this.zeroMaskedWeights) weights = tf.mul(weights, mask4);
    const ctx = tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]); // (B, Tq, H, dv)
    const outF = this.outFeatures(query.shape as Shape);
    const outSize = outF.reduce((a, c) => a * c, 1);
    let out = tf.matMul(
      tf.reshape(ctx, [b * tq, this.numHeads * this.valueDim]),
      tf.reshape(this.w.ok!.read(), [this.numHeads * this.valueDim, outSize]),
    );
    if (this.w.ob) out = tf.add(out, tf.reshape(this.w.ob.read(), [outSize]));
    return [tf.reshape(out, [b, tq, ...outF]), weights];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      useBias: this.useBias,
      outputShape: this.outputShapeArg,
      slidingWindow: this.slidingWindow,
      useKerasMasks: this.useKerasMasks,
      zeroMaskedWeights: this.zeroMaskedWeights,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
      inputRoles: this.inputRoles,
    };
  }
}
register(KerasMultiHeadAttention);

/** Keras `MultiHeadAttention` → {@link KerasMultiHeadAttention}. */
export const multiHeadAttentionPort: LayerPort = {
  // keras-multi-head's `MultiHeadAttention` shares the class name; it has `head_num` instead.
  matches: (config) => config.num_heads !== undefined && config.key_dim !== undefined,
  describe: "Keras' built-in MultiHeadAttention (its config has 'num_heads' and 'key_dim')",
  build(config, ctx) {
    const r = read(config, 'MultiHeadAttention');
    const axes = r.raw('attention_axes');
    const ok =
      axes === null ||
      axes === undefined ||
      axes === 1 ||
      axes === -2 ||
      (Array.isArray(axes) && axes.length === 1 && (axes[0] === 1 || axes[0] === -2));
    if (!ok)
      r.unsupported(
        'attention_axes',
        'only attention over the steps axis of (batch, steps, features) inputs is supported (attention_axes None or [1]).',
      );
    if (r.bool('use_gate', false)) r.unsupported('use_gate', 'the gated variant is not ported yet.');
    const v = ctx.kerasVersion;
    const outputShape = r.has('output_shape') ? r.ints('output_shape') : null;
    return new KerasMultiHeadAttention({
      name: config.name,
      trainable: r.bool('trainable', true),
      numHeads: r.int('num_heads'),
      keyDim: r.int('key_dim'),
      valueDim: r.optInt('value_dim') ?? undefined,
      useBias: r.bool('use_bias', true),
      outputShape,
      slidingWindow: r.optInt('sliding_window'),
      useKerasMasks: v.major >= 3 || (v.major === 2 && v.minor >= 10),
      zeroMaskedWeights: v.major > 3 || (v.major === 3 && v.minor >= 10),
    });
  },
};
