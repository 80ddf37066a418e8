import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { register, singleShape } from '../builtin/common.ts';
import type { BuildContext, WeightArray } from '../port.ts';
import { type KerasTCN, tcnPort } from './tcn.ts';

// `Bidirectional(TCN(...))`, which keras-tcn supports from 3.5.0 (`go_backwards`, `return_state`).
// Keras' Bidirectional on a layer that is not an RNN (tf.keras `layers/rnn/bidirectional.py`, Keras 3
// `layers/rnn/bidirectional.py`): the forward TCN on x, a copy with `go_backwards` flipped on x (it
// reverses x itself), the backward output flipped back in time when `return_sequences`, then the
// merge. The weights of the two halves are told apart by name (`forward_tcn/…`, `backward_tcn/…` in
// h5, `forward_layer/…`, `backward_layer/…` in `.keras`): tf.keras lists both halves' trainable
// weights before both halves' moving statistics, so halving the list would mix them.

/** How the two halves are merged (`merge_mode`; `null` returns both). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

/** `Bidirectional(TCN)`: two {@link KerasTCN}, composed. */
export class KerasBidirectionalTCN extends tf.layers.Layer {
  static className = 'KerasBidirectionalTCN';
  readonly forward: KerasTCN;
  readonly backward: KerasTCN;
  readonly mergeMode: MergeMode;

  constructor(args: { name: string; forward: KerasTCN; backward: KerasTCN; mergeMode: MergeMode }) {
    super({ name: args.name, trainable: false });
    this.forward = args.forward;
    this.backward = args.backward;
    this.mergeMode = args.mergeMode;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    tf.tidy(() => {
      this.forward.build(shape);
      this.backward.build(shape);
    });
    this.forward.built = true;
    this.backward.built = true;
    this.built = true;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return [...this.forward.trainableWeights, ...this.backward.trainableWeights];
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return [...this.forward.nonTrainableWeights, ...this.backward.nonTrainableWeights];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const one = this.forward.computeOutputShape(inputShape);
    if (this.mergeMode === null) return [one, one.slice()];
    if (this.mergeMode !== 'concat') return one;
    const out = one.slice();
    const last = out[out.length - 1];
    out[out.length - 1] = last === null ? null : 2 * last;
    return out;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = this.forward.call(x) as tf.Tensor;
      let yRev = this.backward.call(x) as tf.Tensor;
      if (this.forward.args.returnSequences) yRev = tf.reverse(yRev, 1);
      switch (this.mergeMode) {
        case 'concat':
          return tf.concat([y, yRev], -1);
        case 'sum':
          return tf.add(y, yRev);
        case 'mul':
          return tf.mul(y, yRev);
        case 'ave':
          return tf.mul(tf.add(y, yRev), 0.5);
        default:
          return [y, yRev];
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mergeMode: this.mergeMode };
  }
}
register(KerasBidirectionalTCN);

/** Which half a stored weight belongs to, from its name; `null` when the name does not say. */
function sideOf(w: WeightArray): 'forward' | 'backward' | null {
  for (const token of w.name.split('/')) {
    if (token.startsWith('forward_')) return 'forward';
    if (token.startsWith('backward_')) return 'backward';
  }
  return null;
}

/** The stored weights of each half (by name; halves of the list when no name says). */
export function splitBidirectionalTcn(layer: string, weights: readonly WeightArray[]): [WeightArray[], WeightArray[]] {
  const sides = weights.map(sideOf);
  if (sides.every((s) => s === null)) {
    if (weights.length % 2)
      fail(
        'WEIGHT_MISMATCH',
        `Bidirectional layer '${layer}' wraps a TCN, but its ${weights.length} stored weights neither split in two halves nor name their half (forward_…/backward_…).`,
      );
    return [weights.slice(0, weights.length / 2), weights.slice(weights.length / 2)];
  }
  const odd = weights.filter((_, i) => sides[i] === null);
  if (odd.length)
    fail(
      'WEIGHT_MISMATCH',
      `Bidirectional layer '${layer}' wraps a TCN, but stored weight '${odd[0].name}' names neither the forward nor the backward half.`,
    );
  return [weights.filter((_, i) => sides[i] === 'forward'), weights.filter((_, i) => sides[i] === 'backward')];
}

/** The configs of the two halves: Keras 3 writes the backward one; tf.keras flips `go_backwards`. */
function halves(config: KerasLayerConfig): [KerasLayerConfig, KerasLayerConfig] {
  const inner = config.layer as { config: KerasLayerConfig };
  const back = config.backward_layer as { config: KerasLayerConfig } | undefined;
  const forward = inner.config;
  const backward = back?.config ?? { ...forward, go_backwards: !forward.go_backwards };
  return [forward, backward];
}

/** Build `Bidirectional(TCN)` (the Bidirectional port hands wrapped TCNs here). */
export function buildBidirectionalTcn(
  config: KerasLayerConfig,
  mergeMode: MergeMode,
  ctx: BuildContext,
): KerasBidirectionalTCN {
  const [fc, bc] = halves(config);
  const stored = ctx.storedWeights?.(config.name);
  const [fw, bw] = stored?.length ? splitBidirectionalTcn(config.name, stored) : [undefined, undefined];
  const half = (c: KerasLayerConfig, w: WeightArray[] | undefined, prefix: string) =>
    tcnPort.build({ ...c, name: `${prefix}_${c.name}` }, { ...ctx, storedWeights: () => w }) as KerasTCN;
  return new KerasBidirectionalTCN({
    name: config.name,
    forward: half(fc, fw, 'forward'),
    backward: half(bc, bw, 'backward'),
    mergeMode,
  });
}

/** The stored weights of `Bidirectional(TCN)` in the layer's order: the forward TCN's, then the backward's. */
export function convertBidirectionalTcnWeights(
  weights: WeightArray[],
  config: KerasLayerConfig,
  ctx: BuildContext,
): WeightArray[] {
  const [fc, bc] = halves(config);
  const [fw, bw] = splitBidirectionalTcn(config.name, weights);
  const convert = tcnPort.convertWeights as NonNullable<typeof tcnPort.convertWeights>;
  return [...convert(fw, fc, ctx), ...convert(bw, bc, ctx)];
}
