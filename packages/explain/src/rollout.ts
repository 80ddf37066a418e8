import type { KerasModel, NdArray } from '@keraspect/importer';
import { attentionMaps } from './attention.ts';
import { fail } from './errors.ts';
import type { ModelInput } from './inputs.ts';

/** Options of attention rollout. */
export interface RolloutOptions {
  /** How heads of a (B, H, T, T) map are fused. Default `'mean'`. */
  headFusion?: 'mean' | 'max' | 'min';
  /** Residual weight α: each layer's map becomes α·I + (1 − α)·A. Default 0.5 (Abnar & Zuidema). */
  alpha?: number;
  /** Attention layers to roll out, bottom to top (default: every square (query = key) map, in model order). */
  layers?: string[];
  /** Samples per forward pass. Default 32. */
  internalBatchSize?: number;
}

/** The result of attention rollout. */
export interface Rollout {
  /** (B, T, T): row t says how much output position t draws on each input position. */
  rollout: NdArray;
  /** The per-layer maps used, after head fusion, identity mixing and row normalization, bottom to top. */
  layers: { layer: string; map: NdArray }[];
}

/**
 * Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers",
 * https://arxiv.org/abs/2005.00928): per layer, fuse heads, mix with the identity
 * (α·I + (1 − α)·A), re-normalize rows (all-zero rows, e.g. from masking, stay zero), and
 * multiply up the stack: R = Â_L ⋯ Â_1. Works across stacked SeqSelfAttention and
 * MultiHeadAttention layers; products of lower-triangular (`history_only`) maps stay
 * lower-triangular.
 */
export function attentionRollout(km: KerasModel, x: ModelInput, options: RolloutOptions = {}): Rollout {
  const { internalBatchSize = 32 } = options;
  const maps = attentionMaps(km, x, { layers: options.layers ?? km.attentionLayers, internalBatchSize });
  const square = maps.filter((m) => isSquare(m.array));
  if (options.layers) {
    const bad = maps.filter((m) => !isSquare(m.array));
    if (bad.length)
      fail(
        'BAD_OPTION',
        `Attention rollout needs square (query = key) maps; ${bad.map((m) => `'${m.layer}' (${m.className}) has shape [${m.array.shape}]`).join(', ')}.`,
      );
  }
  if (!square.length)
    fail(
      'BAD_OPTION',
      `Model '${km.name}' has no self-attention layer with square (query = key) maps to roll out. Attention layers: ${km.attentionLayers.join(', ') || 'none'}.`,
    );
  return rolloutMaps(
    square.map((m) => ({ layer: m.layer, map: m.array })),
    options,
  );
}

/** Attention rollout on plain maps ((B, T, T) or (B, H, T, T)), bottom layer first. */
export function rolloutMaps(
  maps: { layer: string; map: NdArray }[],
  options: Omit<RolloutOptions, 'layers' | 'internalBatchSize'> = {},
): Rollout {
  const { headFusion = 'mean', alpha = 0.5 } = options;
  if (!(alpha >= 0 && alpha <= 1)) fail('BAD_OPTION', `Rollout alpha must be in [0, 1]; got ${alpha}.`);
  if (!['mean', 'max', 'min'].includes(headFusion))
    fail('BAD_OPTION', `Rollout headFusion must be 'mean', 'max' or 'min'; got ${JSON.stringify(headFusion)}.`);
  if (!maps.length) fail('BAD_OPTION', 'Rollout needs at least one attention map.');
  const [B, T] = [maps[0].map.shape[0], maps[0].map.shape[maps[0].map.shape.length - 1]];
  const used = maps.map(({ layer, map }) => {
    const s = map.shape;
    if (!isSquare(map) || s[0] !== B || s[s.length - 1] !== T)
      fail(
        'BAD_OPTION',
        `Rollout needs maps of one shape (B=${B}, T=${T}) with query = key; '${layer}' has shape [${s}].`,
      );
    const heads = s.length === 4 ? s[1] : 1;
    const out = new Float32Array(B * T * T);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < T * T; i++) {
        let v = headFusion === 'mean' ? 0 : headFusion === 'max' ? -Infinity : Infinity;
        for (let h = 0; h < heads; h++) {
          const a = map.data[(b * heads + h) * T * T + i];
          v = headFusion === 'mean' ? v + a / heads : headFusion === 'max' ? Math.max(v, a) : Math.min(v, a);
        }
        const row = Math.floor(i / T);
        const col = i % T;
        out[b * T * T + i] = alpha * (row === col ? 1 : 0) + (1 - alpha) * v;
      }
    normalizeRows(out, B, T);
    return { layer, map: { data: out, shape: [B, T, T] } };
  });
  let r: Float32Array = used[0].map.data.slice() as Float32Array;
  for (const m of used.slice(1)) r = bmm(m.map.data, r, B, T);
  return { rollout: { data: r, shape: [B, T, T] }, layers: used };
}

function isSquare(a: NdArray): boolean {
  const s = a.shape;
  return (s.length === 3 || s.length === 4) && s[s.length - 1] === s[s.length - 2];
}

function normalizeRows(a: Float32Array, B: number, T: number): void {
  for (let r = 0; r < B * T; r++) {
    let sum = 0;
    for (let c = 0; c < T; c++) sum += a[r * T + c];
    if (sum === 0) continue;
    for (let c = 0; c < T; c++) a[r * T + c] /= sum;
  }
}

/** Per batch: A·R. */
function bmm(a: Float32Array, r: Float32Array, B: number, T: number): Float32Array {
  const out = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    const o = b * T * T;
    for (let i = 0; i < T; i++)
      for (let k = 0; k < T; k++) {
        const aik = a[o + i * T + k];
        if (aik === 0) continue;
        for (let j = 0; j < T; j++) out[o + i * T + j] += aik * r[o + k * T + j];
      }
  }
  return out;
}
