import type { KerasLayerConfig } from '../../keras-format/types.ts';
import type { LayerPort } from '../port.ts';
import { feedForwardPort } from './feed-forward.ts';
import { cyberZhgLayerNormalizationPort, isCyberZhgLayerNormalization } from './layer-normalization.ts';
import { cyberZhgMultiHeadAttentionPort, isCyberZhgMultiHeadAttention } from './multi-head-attention.ts';
import { multiHeadPort } from './multi-head.ts';
import { scaledDotProductAttentionPort } from './scaled-dot-product-attention.ts';
import { seqSelfAttentionPort } from './seq-self-attention.ts';
import { seqWeightedAttentionPort } from './seq-weighted-attention.ts';

export { FeedForward, type FeedForwardArgs } from './feed-forward.ts';
export {
  CYBERZHG_LN_EPSILON,
  CyberZhgLayerNormalization,
  type CyberZhgLayerNormalizationArgs,
  isCyberZhgLayerNormalization,
} from './layer-normalization.ts';
export {
  CyberZhgMultiHeadAttention,
  type CyberZhgMultiHeadAttentionArgs,
  isCyberZhgMultiHeadAttention,
} from './multi-head-attention.ts';
export { MultiHead, type MultiHeadArgs } from './multi-head.ts';
export {
  ScaledDotProductAttention,
  type ScaledDotProductAttentionArgs,
  scaledDotProduct,
} from './scaled-dot-product-attention.ts';
export { SeqSelfAttention, type SeqSelfAttentionArgs } from './seq-self-attention.ts';
export { SeqWeightedAttention, type SeqWeightedAttentionArgs } from './seq-weighted-attention.ts';
export { cyberZhgLayerNormalizationPort, cyberZhgMultiHeadAttentionPort };

/**
 * The CyberZHG family (keras-self-attention, keras-multi-head, keras-layer-normalization,
 * keras-position-wise-feed-forward) by Keras class name — the classes whose names no built-in Keras
 * layer uses. `LayerNormalization` and `MultiHeadAttention` are shared with built-in Keras layers:
 * see {@link cyberzhgDispatchers}.
 */
export const cyberzhgPorts: Record<string, LayerPort> = {
  SeqSelfAttention: seqSelfAttentionPort,
  SeqWeightedAttention: seqWeightedAttentionPort,
  ScaledDotProductAttention: scaledDotProductAttentionPort,
  MultiHead: multiHeadPort,
  FeedForward: feedForwardPort,
};

/** A port for a Keras class name shared with a built-in layer, chosen when `matches(config)`. */
export interface CyberZhgDispatcher {
  className: string;
  matches(config: KerasLayerConfig): boolean;
  port: LayerPort;
}

/**
 * CyberZHG layers whose Keras class name is also a built-in Keras layer; the config tells them apart
 * (keras-layer-normalization has no `axis`; keras-multi-head's attention has `head_num`).
 */
export const cyberzhgDispatchers: readonly CyberZhgDispatcher[] = [
  { className: 'LayerNormalization', matches: isCyberZhgLayerNormalization, port: cyberZhgLayerNormalizationPort },
  { className: 'MultiHeadAttention', matches: isCyberZhgMultiHeadAttention, port: cyberZhgMultiHeadAttentionPort },
];
