import type { LayerPort } from '../port.ts';
import { additiveAttentionPort } from './additive-attention.ts';
import { attentionPort } from './attention.ts';
import { conv1dPort } from './conv1d.ts';
import { cropping1dPort } from './cropping1d.ts';
import { cudnnGruPort } from './cudnn-gru.ts';
import { cudnnLstmPort } from './cudnn-lstm.ts';
import { gruPort } from './gru.ts';
import { mergePort } from './merge.ts';
import { multiHeadAttentionPort } from './multi-head-attention.ts';
import { separableConv1dPort } from './separable-conv1d.ts';
import { subtractPort } from './subtract.ts';
import { upSampling1dPort } from './upsampling1d.ts';
import { zeroPadding1dPort } from './zero-padding1d.ts';

/**
 * Ports of Keras built-in layers that tfjs-layers lacks or computes differently, keyed by Keras class
 * name. `Attention`, `AdditiveAttention` and `MultiHeadAttention` share their names with user or
 * third-party classes: dispatch with `isBuiltinAttentionConfig`, `isBuiltinAdditiveAttentionConfig`
 * and `isBuiltinMultiHeadAttentionConfig` first. `Conv1D` here handles every padding including
 * `'causal'` (TF.js' conv1d throws on it).
 */
export const builtinExtraPorts: Record<string, LayerPort> = {
  GRU: gruPort,
  CuDNNGRU: cudnnGruPort,
  CuDNNLSTM: cudnnLstmPort,
  Attention: attentionPort,
  AdditiveAttention: additiveAttentionPort,
  MultiHeadAttention: multiHeadAttentionPort,
  Conv1D: conv1dPort,
  SeparableConv1D: separableConv1dPort,
  UpSampling1D: upSampling1dPort,
  Cropping1D: cropping1dPort,
  ZeroPadding1D: zeroPadding1dPort,
  Subtract: subtractPort,
  Merge: mergePort,
};

export { isBuiltinAdditiveAttentionConfig, KerasAdditiveAttention } from './additive-attention.ts';
export { isBuiltinAttentionConfig, KerasAttention } from './attention.ts';
export { KerasConv1D } from './conv1d.ts';
export { KerasCropping1D } from './cropping1d.ts';
export { KerasGRU } from './gru.ts';
export { KerasMerge } from './merge.ts';
export { isBuiltinMultiHeadAttentionConfig, KerasMultiHeadAttention } from './multi-head-attention.ts';
export { KerasSeparableConv1D } from './separable-conv1d.ts';
export { KerasSubtract } from './subtract.ts';
export { KerasUpSampling1D } from './upsampling1d.ts';
export { KerasZeroPadding1D } from './zero-padding1d.ts';
