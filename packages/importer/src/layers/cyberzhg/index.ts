export { EmbeddingRet, type EmbeddingRetArgs } from './embedding-ret.ts';
export { EmbeddingSim, type EmbeddingSimArgs } from './embedding-sim.ts';
export { FeedForward, type FeedForwardArgs } from './feed-forward.ts';
export {
  CYBERZHG_LN_EPSILON,
  CyberZhgLayerNormalization,
  type CyberZhgLayerNormalizationArgs,
} from './layer-normalization.ts';
export { CyberZhgMultiHeadAttention, type CyberZhgMultiHeadAttentionArgs } from './multi-head-attention.ts';
export { MultiHead, type MultiHeadArgs } from './multi-head.ts';
export { PositionEmbedding, type PositionEmbeddingArgs } from './position-embedding.ts';
export { ResidualScaledDotProductAttention } from './residual-scaled-dot-product-attention.ts';
export {
  ScaledDotProductAttention,
  type ScaledDotProductAttentionArgs,
  scaledDotProduct,
} from './scaled-dot-product-attention.ts';
export { SeqSelfAttention, type SeqSelfAttentionArgs } from './seq-self-attention.ts';
export { SeqWeightedAttention, type SeqWeightedAttentionArgs } from './seq-weighted-attention.ts';
export { type PosEmbdMode, TrigPosEmbedding, type TrigPosEmbeddingArgs } from './trig-pos-embedding.ts';
