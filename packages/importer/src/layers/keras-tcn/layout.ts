import { fail } from '../../errors.ts';
import type { WeightArray } from '../port.ts';

// Where a keras-tcn `TCN` keeps its weights, as every release and producer names them, and which
// layout a file has. The layer's weights are those of the Keras layers nested in it, built inside
// name scopes; tf.keras names a weight by the scopes open when its layer is built (not by the layer's
// own name), Keras 3 by the scopes and the layer's name:
//   tf.keras 2 h5      tcn/residual_block_0/conv1D_0/kernel:0, …/matching_conv1D/bias:0 (≥ 3.1),
//                      …/norm_0/gamma:0 (BatchNormalization, LayerNormalization; ≥ 3.0.2),
//                      …/conv1D_0/g:0 and …/conv1D_0/data_dep_init/kernel:0 (weight norm, ≥ 3.2),
//                      ≤ 3.0.2: tcn/kernel:0 (the 1×1 input convolution, built in no scope of its
//                      own), residual_block_0/kernel:0 (the 1×1 residual convolution, built
//                      outside its conv1D_2 scope), ≤ 3.0.1: residual_block_0/gamma:0 and
//                      …/gamma_1:0 (both normalizations in one scope, told apart by TF 1's graph;
//                      TF 2 could not save those files to h5 at all)
//   Keras 3 h5         tcn/residual_block_0/conv1D_0/kernel, …/norm_0/batch_normalization_3/gamma
//   Keras 3 .keras     layers/tcn/residual_block_0/conv1D_0/vars/0, …/batch_norm_layers/
//                      batch_normalization_1/vars/2, … (saving_lib walks attributes by name)
// tf.keras lists every trainable weight before the non-trainable ones (BatchNormalization's moving
// statistics, weight norm's `initialized` and data-init clone come last), `.keras` files sort by
// path: the layout is read from the names, never from the order.

/** The kinds of weight a TCN sub-layer holds. */
export type TcnWeightKind =
  | 'kernel'
  | 'bias'
  | 'g'
  | 'initialized'
  | 'gamma'
  | 'beta'
  | 'moving_mean'
  | 'moving_variance';

/**
 * A TCN sub-layer: the input convolution, or a part of residual block `block`. `initClone` is the
 * copy of a weight-normalized convolution that tf-addons keeps for its data-dependent initialization:
 * saved, never used once the layer is initialized.
 */
export type TcnPart =
  | { block: null; part: 'input' }
  | { block: number; part: 'conv' | 'norm'; index: 0 | 1 }
  | { block: number; part: 'matching' | 'initClone' };

/** A stored weight, placed. */
export interface PlacedWeight {
  where: TcnPart;
  kind: TcnWeightKind;
  weight: WeightArray;
}

const KINDS = new Set<string>([
  'kernel',
  'bias',
  'g',
  'initialized',
  'gamma',
  'beta',
  'moving_mean',
  'moving_variance',
]);
/** `.keras` vars order of each sub-layer class. */
const VARS: Record<string, TcnWeightKind[]> = {
  conv: ['kernel', 'bias'],
  matching: ['kernel', 'bias'],
  input: ['kernel', 'bias'],
  batch: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  layer: ['gamma', 'beta'],
};

const NORM_KINDS = new Set<string>(['gamma', 'beta', 'moving_mean', 'moving_variance']);

/**
 * Place every stored weight of a TCN layer by its name. Fails with `WEIGHT_MISMATCH` naming a
 * weight whose name says neither block nor sub-layer.
 */
export function placeWeights(layer: string, stored: readonly WeightArray[]): PlacedWeight[] {
  type Raw = {
    weight: WeightArray;
    block: number | null;
    sub: string[];
    kind: TcnWeightKind | null;
    varIndex: number | null;
    /** The normalization layer's name (Keras 3, `.keras`), or TF 1's `_<n>` suffix of a bare weight. */
    normToken: string | null;
    normIndex: number | null;
    normKind: 'batch' | 'layer' | null;
  };
  const raws: Raw[] = stored.map((weight) => {
    const tokens = weight.name.replace(/:\d+$/, '').split('/');
    const b = tokens.findIndex((t) => /^residual_block_\d+$/.test(t));
    const block = b >= 0 ? Number(tokens[b].slice('residual_block_'.length)) : null;
    const sub = tokens.slice(b + 1);
    const last = sub[sub.length - 1] ?? '';
    const varIndex = sub[sub.length - 2] === 'vars' && /^\d+$/.test(last) ? Number(last) : null;
    const uniquified = /^(gamma|beta|moving_mean|moving_variance)_(\d+)$/.exec(last);
    const kind = KINDS.has(last) ? (last as TcnWeightKind) : uniquified ? (uniquified[1] as TcnWeightKind) : null;
    const layerToken = sub.find((t) => /batch_normalization|layer_normalization/.test(t)) ?? null;
    const normScope = sub.find((t) => /^norm_[01]$/.test(t));
    // A bare normalization weight of the block (≤ 3.0.1): its TF 1 suffix tells the two apart.
    const bare = sub.length === 1 && kind !== null && NORM_KINDS.has(kind);
    return {
      weight,
      block,
      sub,
      kind,
      varIndex,
      normToken: layerToken ?? (bare ? `_${uniquified ? uniquified[2] : ''}` : null),
      normIndex: normScope ? Number(normScope.slice(5)) : null,
      normKind: layerToken ? (layerToken.includes('batch') ? 'batch' : 'layer') : null,
    };
  });
  // Normalization layers without a norm_k scope: the first (by name suffix) in a block is norm 0.
  const suffix = (t: string) => {
    const m = /_(\d+)$/.exec(t);
    return m ? Number(m[1]) : -1;
  };
  const normOrder = new Map<string, number>();
  const byBlock = new Map<number, Set<string>>();
  for (const r of raws)
    if (r.normToken && r.block !== null && r.normIndex === null) {
      const s = byBlock.get(r.block) ?? new Set<string>();
      s.add(r.normToken);
      byBlock.set(r.block, s);
    }
  for (const [block, tokens] of byBlock)
    [...tokens].sort((a, b) => suffix(a) - suffix(b)).forEach((t, i) => normOrder.set(`${block}/${t}`, i));

  return raws.map((r): PlacedWeight => {
    const bad = (why: string): never =>
      fail(
        'WEIGHT_MISMATCH',
        `TCN layer '${layer}': stored weight '${r.weight.name}' ${JSON.stringify(r.weight.shape)} ${why}; keras-tcn names its weights residual_block_<i>/conv1D_<k>/…, …/matching_conv1D/…, …/norm_<k>/…, …/batch_normalization/… or …/layer_normalization/….`,
      );
    const has = (re: RegExp) => r.sub.some((t) => re.test(t));
    const normIndex = (block: number) => (r.normIndex ?? normOrder.get(`${block}/${r.normToken}`) ?? 0) as 0 | 1;
    let where: TcnPart;
    let vars: TcnWeightKind[];
    const conv = r.sub.find((t) => /^conv1D_[01]$/.test(t));
    if (r.block === null) {
      where = { block: null, part: 'input' };
      vars = VARS.input;
    } else if (r.sub.includes('data_dep_init')) {
      where = { block: r.block, part: 'initClone' };
      vars = VARS.conv;
    } else if (r.normToken) {
      where = { block: r.block, part: 'norm', index: normIndex(r.block) };
      vars = r.normKind ? VARS[r.normKind] : VARS.batch;
    } else if (
      has(/^(matching_conv1D|conv1D_2)$/) ||
      (r.sub.length === 1 && (r.kind === 'kernel' || r.kind === 'bias'))
    ) {
      where = { block: r.block, part: 'matching' };
      vars = VARS.matching;
    } else if (r.normIndex !== null && r.kind !== null && NORM_KINDS.has(r.kind)) {
      where = { block: r.block, part: 'norm', index: r.normIndex as 0 | 1 };
      vars = VARS.batch;
    } else if (conv || r.normIndex !== null) {
      const k = conv ? Number(conv.slice(7)) : (r.normIndex as number);
      where = { block: r.block, part: 'conv', index: k as 0 | 1 };
      vars = VARS.conv;
    } else return bad('is in no sub-layer keras-tcn makes');
    const kind = r.kind ?? (r.varIndex !== null ? vars[r.varIndex] : undefined);
    if (!kind) return bad('is not a kernel, bias, gamma, beta, moving mean/variance or weight-norm g');
    return { where, kind, weight: r.weight };
  });
}
