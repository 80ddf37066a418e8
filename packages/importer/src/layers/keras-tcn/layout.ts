import { fail } from '../../errors.ts';
import type { WeightArray } from '../port.ts';

// Where a keras-tcn `TCN` keeps its weights, as every release and producer names them, and which
// layout a file has. The layer's weights are those of the Keras layers nested in it; their names
// carry the residual block and sub-layer:
//   tf.keras 2 h5      tcn/residual_block_0/conv1D_0/kernel:0, …/matching_conv1D/bias:0,
//                      …/norm_0/batch_normalization_3/gamma:0, …/conv1D_0/g:0 (weight norm),
//                      keras-tcn ≤ 3.0: …/conv1D_2/kernel:0 (1×1 residual conv) and
//                      tcn/conv1d/kernel:0 (the 1×1 input convolution)
//   Keras 3 h5         the same without ':0'
//   Keras 3 .keras     layers/tcn/residual_block_0/conv1D_0/vars/0, …/batch_norm_layers/
//                      batch_normalization_1/vars/2, … (saving_lib walks attributes by name)
// tf.keras lists every trainable weight before the non-trainable ones (BatchNormalization's moving
// statistics, weight norm's `initialized` come last), `.keras` files sort by path: the layout is
// read from the names, never from the order.

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

/** A TCN sub-layer: the input convolution, or a part of residual block `block`. */
export type TcnPart =
  | { block: null; part: 'input' }
  | { block: number; part: 'conv' | 'norm'; index: 0 | 1 }
  | { block: number; part: 'matching' };

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

/**
 * Place every stored weight of a TCN layer by its name. Fails with `WEIGHT_MISMATCH` naming a
 * weight whose name says neither block nor sub-layer.
 */
export function placeWeights(layer: string, stored: readonly WeightArray[]): PlacedWeight[] {
  type Raw = {
    weight: WeightArray;
    block: number | null;
    sub: string;
    normToken: string | null;
    normIndex: number | null;
    kind: TcnWeightKind | null;
    varIndex: number | null;
    normKind: 'batch' | 'layer' | null;
  };
  const raws: Raw[] = stored.map((weight) => {
    const tokens = weight.name.replace(/:\d+$/, '').split('/');
    const b = tokens.findIndex((t) => /^residual_block_\d+$/.test(t));
    const block = b >= 0 ? Number(tokens[b].slice('residual_block_'.length)) : null;
    const sub = tokens.slice(b + 1);
    const last = sub[sub.length - 1] ?? '';
    const varIndex = sub[sub.length - 2] === 'vars' && /^\d+$/.test(last) ? Number(last) : null;
    const kind = KINDS.has(last) ? (last as TcnWeightKind) : null;
    const normToken = sub.find((t) => /batch_normalization|layer_normalization/.test(t)) ?? null;
    const normScope = sub.find((t) => /^norm_[01]$/.test(t));
    return {
      weight,
      block,
      sub: sub.join('/'),
      normToken,
      normIndex: normScope ? Number(normScope.slice(5)) : null,
      kind,
      varIndex,
      normKind: normToken ? (normToken.includes('batch') ? 'batch' : 'layer') : null,
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
        `TCN layer '${layer}': stored weight '${r.weight.name}' ${JSON.stringify(r.weight.shape)} ${why}; keras-tcn names its weights residual_block_<i>/conv1D_<k>/…, …/matching_conv1D/…, …/batch_normalization/… or …/layer_normalization/….`,
      );
    let where: TcnPart;
    let vars: TcnWeightKind[];
    const conv = /(^|\/)conv1D_([01])(\/|$)/.exec(r.sub);
    if (r.block === null) {
      where = { block: null, part: 'input' };
      vars = VARS.input;
    } else if (r.normToken) {
      const index = (r.normIndex ?? normOrder.get(`${r.block}/${r.normToken}`) ?? 0) as 0 | 1;
      where = { block: r.block, part: 'norm', index };
      vars = VARS[r.normKind as 'batch' | 'layer'];
    } else if (/(^|\/)(matching_conv1D|conv1D_2)(\/|$)/.test(r.sub)) {
      where = { block: r.block, part: 'matching' };
      vars = VARS.matching;
    } else if (conv || /(^|\/)norm_[01](\/|$)/.test(r.sub)) {
      const k = conv ? Number(conv[2]) : Number(/norm_([01])/.exec(r.sub)![1]);
      where = { block: r.block, part: 'conv', index: k as 0 | 1 };
      vars = VARS.conv;
    } else return bad('is in no sub-layer keras-tcn makes');
    const kind = r.kind ?? (r.varIndex !== null ? vars[r.varIndex] : undefined);
    if (!kind) return bad('is not a kernel, bias, gamma, beta, moving mean/variance or weight-norm g');
    return { where, kind, weight: r.weight };
  });
}
