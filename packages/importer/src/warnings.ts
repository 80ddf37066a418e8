import type { GraphLayer, ModelGraph } from './keras-format/graph.ts';
import type { GeluVariant, KerasVersion, SelfAttentionVariant } from './layers/port.ts';

/** Something about a loaded model that a user is likely to get wrong, found from its config alone. */
export interface ModelWarning {
  /**
   * `SELF_ATTENTION_VARIANT`: the file's keras-self-attention options make the variants compute
   * different things. `GELU_VARIANT`: a `FeedForward`'s `'gelu'` may be keras-transformer's (tanh)
   * or Keras' own (erf), and no `geluVariant` was given.
   */
  readonly code: 'SELF_ATTENTION_VARIANT' | 'GELU_VARIANT';
  /** The layer it is about. */
  readonly layer: string;
  /** What differs, which variant was used, and which one to pass instead. */
  readonly message: string;
}

/**
 * Warnings about a model graph imported with `variant`. Today: keras-self-attention layers whose
 * options make the `'legacy'`, `'0.46'` and `'current'` formulas differ (docs/keras-self-attention.md),
 * since a Keras file does not record which keras-self-attention version wrote it.
 *
 * - `SeqSelfAttention` with `attention_width` or `history_only`: 0.46.0 ignored the window.
 * - `SeqSelfAttention` or `SeqWeightedAttention` reached by a mask (`Masking`, `Embedding(mask_zero)`):
 *   before 0.46 masked keys got no weight; 0.46 and later only push down pairs where both are masked.
 * - `ScaledDotProductAttention`, or keras-multi-head's `MultiHeadAttention` (which runs it), with
 *   `history_only` or reached by a mask: before 0.44 hidden keys were cut after `exp(e − max)` over
 *   all keys, later versions push them down before a softmax.
 */
export function modelWarnings(
  graph: ModelGraph,
  variant: SelfAttentionVariant,
  context: { geluVariant?: GeluVariant; kerasVersion?: KerasVersion } = {},
): ModelWarning[] {
  const out: ModelWarning[] = geluWarnings(graph, context);
  for (const { graph: g, layer } of walk(graph)) {
    const isSelf = layer.className === 'SeqSelfAttention';
    const isDot =
      layer.className === 'ScaledDotProductAttention' ||
      (layer.className === 'MultiHeadAttention' && 'head_num' in layer.config && !('num_heads' in layer.config));
    if (!isSelf && !isDot && layer.className !== 'SeqWeightedAttention') continue;
    const width = layer.config.attention_width;
    const historyOnly = layer.config.history_only === true;
    const windowed = isSelf && ((typeof width === 'number' && width > 0) || historyOnly);
    const mask = maskSource(g, layer);
    if (!windowed && !mask && !(isDot && historyOnly)) continue;
    const why: string[] = [];
    const differ: string[] = [];
    if (isDot) {
      const what = [historyOnly ? 'it sets history_only=True' : '', mask ? `a mask from '${mask}' reaches it` : '']
        .filter(Boolean)
        .join(' and ');
      why.push(
        `${what}, and before 0.44 hidden keys were cut after exp(e − max over all keys) while later versions push them down before the softmax`,
      );
      differ.push("'legacy' differs from '0.46' and 'current' when a hidden key scores highest");
    }
    if (windowed) {
      why.push(
        `it sets ${typeof width === 'number' ? `attention_width=${width}` : 'history_only=True'}, which keras-self-attention 0.46.0 ignored (it attends to every step)`,
      );
      differ.push("'0.46' differs from 'legacy' and 'current'");
    }
    if (mask && !isDot) {
      why.push(
        `a mask from '${mask}' reaches it, and before 0.46 masked steps got no weight while 0.46 and later only push down pairs where query and key are both masked`,
      );
      differ.push("'legacy' differs from '0.46' and 'current'");
    }
    out.push({
      code: 'SELF_ATTENTION_VARIANT',
      layer: layer.name,
      message:
        `${layer.className} '${layer.name}': the keras-self-attention versions compute different attention here: ` +
        `${why.join('; and ')} (${differ.join('; ')}). The file does not record the version; it was read as ` +
        `'${variant}'${variant === 'current' ? ' (the default, 0.47 and later)' : ''}. ` +
        "Pass the variant of the version the model was trained with: selfAttentionVariant 'legacy' (before 0.46), " +
        "'0.46' (0.46.0) or 'current' (0.47+); CLI --self-attention-variant. See docs/keras-self-attention.md.",
    });
  }
  return out;
}

/**
 * keras-position-wise-feed-forward `FeedForward` layers with `activation: 'gelu'` in a file of a Keras
 * that had its own gelu (2.4 and later, or unknown) when no `geluVariant` was given: keras-transformer
 * passes its tanh-approximate `gelu`, serialized by the same name as Keras' erf one.
 */
function geluWarnings(
  graph: ModelGraph,
  context: { geluVariant?: GeluVariant; kerasVersion?: KerasVersion },
): ModelWarning[] {
  const v = context.kerasVersion;
  if (context.geluVariant || (v && (v.major < 2 || (v.major === 2 && v.minor < 4)))) return [];
  const out: ModelWarning[] = [];
  for (const { layer } of walk(graph)) {
    if (layer.className !== 'FeedForward' || layer.config.activation !== 'gelu') continue;
    out.push({
      code: 'GELU_VARIANT',
      layer: layer.name,
      message:
        `FeedForward '${layer.name}': its activation 'gelu' is read as keras-transformer's gelu, the tanh ` +
        "approximation it passes by default; a model built with Keras' own 'gelu' (erf) computes up to ≈ 5e-4 " +
        "differently per unit. The file names both 'gelu'. Pass geluVariant 'erf' if it was Keras' own, " +
        "'tanh' to confirm; CLI --gelu-variant.",
    });
  }
  return out;
}

/** Every layer of the graph and of nested models, with the graph it lives in. */
function* walk(graph: ModelGraph): Generator<{ graph: ModelGraph; layer: GraphLayer }> {
  for (const layer of graph.layers) {
    yield { graph, layer };
    if (layer.nested) yield* walk(layer.nested);
  }
}

/** Layers that emit no mask (so a mask upstream of them stops there). */
const MASK_STOPPERS = new Set([
  'Flatten',
  'Reshape',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'SeqWeightedAttention',
  'Conv1D',
  'MaxPooling1D',
  'AveragePooling1D',
]);

/** A recurrent layer (or a Bidirectional one) without `return_sequences`: its output has no time axis, nor a mask. */
function endsSequence(l: GraphLayer): boolean {
  const inner =
    l.className === 'Bidirectional' ? (l.config.layer as { config?: Record<string, unknown> })?.config : l.config;
  const recurrent = /LSTM|GRU|RNN/.test(
    l.className === 'Bidirectional' ? String((l.config.layer as { class_name?: unknown })?.class_name) : l.className,
  );
  return recurrent && inner?.return_sequences !== true;
}

/**
 * The name of a `Masking` or `Embedding(mask_zero=True)` layer whose mask can reach `target`, or
 * null. Masks stop at recurrent layers without `return_sequences` and at the layers above.
 */
function maskSource(graph: ModelGraph, target: GraphLayer): string | null {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const seen = new Set<string>();
  const stack = target.calls.flatMap((c) => c.inputs.map((r) => r.layer));
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const l = byName.get(name);
    if (!l) continue;
    if (l.className === 'Masking' || (l.className === 'Embedding' && l.config.mask_zero === true)) return l.name;
    if (l.nested) {
      const inner = l.nested.layers.find(
        (n) => n.className === 'Masking' || (n.className === 'Embedding' && n.config.mask_zero === true),
      );
      if (inner) return `${l.name}/${inner.name}`;
    }
    if (MASK_STOPPERS.has(l.className) || endsSequence(l)) continue;
    for (const c of l.calls) for (const r of c.inputs) stack.push(r.layer);
  }
  return null;
}
