import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { activationFunction, register, singleShape } from '../builtin/common.ts';
import { causalPad, dilateKernel, type Padding1D } from '../builtin/conv1d.ts';
import { read } from '../config.ts';
import type { BuildContext, LayerPort, WeightArray } from '../port.ts';
import { type PlacedWeight, placeWeights, type TcnWeightKind } from './layout.ts';

/** The normalization inside the residual blocks. */
export type TcnNorm = 'none' | 'batch' | 'layer' | 'weight';

/**
 * What changed in the math between keras-tcn releases that saved a `TCN` layer (2.8.3-tf onwards;
 * the older ones saved plain Keras layers). Read from the config keys a release writes and the weights
 * it stores (`tcnRelease`).
 */
export interface TcnRelease {
  /** ≤ 3.0.x: a 1×1 convolution to `nb_filters` channels before the first residual block. */
  inputConv: boolean;
  /**
   * Activation after each dilated convolution: `'relu'` (≤ 3.1.x, whatever `activation` says) or
   * the configured activation (≥ 3.2.0).
   */
  innerActivation: 'relu' | 'configured';
  /**
   * ≥ 3.2.0: the activation is applied once more to the convolution branch (`Act_Conv_Blocks`)
   * before it is added to the residual and taken as the skip output.
   */
  branchActivation: boolean;
  /** `padding='same'` without `return_sequences`: output step T/2 (≥ 2.9.2) or the last step. */
  sameSliceMiddle: boolean;
  /**
   * Per residual block: a 1×1 convolution on the residual path, else the identity (as stored); `null`
   * when no weights are known: then a block has one where its channels change (keras-tcn ≥ 3.1).
   */
  matching: boolean[] | null;
}

/** Options of {@link KerasTCN}. */
export interface KerasTCNArgs {
  name: string;
  /** Filters of each residual block (`nb_filters`, repeated per dilation and stack). */
  filters: number[];
  kernelSize: number;
  /** Dilation of each residual block (`dilations` repeated `nb_stacks` times). */
  dilations: number[];
  padding: 'causal' | 'same';
  useSkipConnections: boolean;
  returnSequences: boolean;
  /** TF.js activation identifier (from `ctx.activation`). */
  activation: string;
  norm: TcnNorm;
  goBackwards: boolean;
  release: TcnRelease;
}

const BN_EPSILON = 1e-3;
const LN_EPSILON = 1e-3;

interface ConvWeights {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  /** Weight normalization's scale (kernel = kernel/‖kernel‖ · g over the first two axes). */
  g?: tf.LayerVariable;
}

interface BlockWeights {
  convs: ConvWeights[];
  norms: tf.LayerVariable[][];
  matching: ConvWeights | null;
}

/**
 * keras-tcn's `TCN` (Bai et al. 2018, https://arxiv.org/abs/1803.01271; philipperemy/keras-tcn) as
 * one TF.js layer, for every release that saved the class. Each residual block i (dilation dᵢ):
 * `h = act₁(norm(conv(act₁(norm(conv(x)))))`, with `act₁` relu or the activation by release, then
 * (≥ 3.2) `h = act(h)`; the block outputs `act(res(x) + h)` onward and `h` as its skip output, where
 * `res` is a 1×1 convolution or the identity. The layer returns the sum of the skip outputs
 * (`use_skip_connections`) or the last block's output, all steps (`return_sequences`) or one: the
 * last (causal) or T/2 (same). Convolutions are causal (left-padded) or same-padded, dilated;
 * `go_backwards` reverses the input in time; dropout is off at inference. `return_state` is stored
 * by keras-tcn but never changes its output.
 */
export class KerasTCN extends tf.layers.Layer {
  static className = 'KerasTCN';
  readonly args: KerasTCNArgs;
  private inputConv: ConvWeights | null = null;
  private blocks: BlockWeights[] = [];
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly innerAct: (x: tf.Tensor) => tf.Tensor;

  constructor(args: KerasTCNArgs) {
    super({ name: args.name, trainable: false });
    this.args = args;
    this.act = activationFunction(args.activation);
    this.innerAct = args.release.innerActivation === 'relu' ? (x) => tf.relu(x) : this.act;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 3 || typeof shape[2] !== 'number')
      fail(
        'INPUT_SHAPE',
        `TCN '${this.name}' expects input (batch, steps, features) with known features; got ${JSON.stringify(shape)}.`,
      );
    let channels = shape[2] as number;
    const { filters, kernelSize, norm, release } = this.args;
    const w = (name: string, s: number[]) => this.addWeight(name, s, 'float32', tf.initializers.zeros());
    const conv = (prefix: string, k: number, cin: number, cout: number, weightNorm: boolean): ConvWeights => {
      if (weightNorm) {
        const g = w(`${prefix}/g`, [cout]);
        return { g, kernel: w(`${prefix}/kernel`, [k, cin, cout]), bias: w(`${prefix}/bias`, [cout]) };
      }
      return { kernel: w(`${prefix}/kernel`, [k, cin, cout]), bias: w(`${prefix}/bias`, [cout]) };
    };
    if (release.inputConv) {
      this.inputConv = conv('input_conv', 1, channels, filters[0], false);
      channels = filters[0];
    }
    this.blocks = filters.map((f, i) => {
      const p = `residual_block_${i}`;
      const convs: ConvWeights[] = [];
      const norms: tf.LayerVariable[][] = [];
      let cin = channels;
      for (let k = 0; k < 2; k++) {
        convs.push(conv(`${p}/conv1D_${k}`, kernelSize, cin, f, norm === 'weight'));
        if (norm === 'batch')
          norms.push(['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => w(`${p}/norm_${k}/${n}`, [f])));
        else if (norm === 'layer') norms.push(['gamma', 'beta'].map((n) => w(`${p}/norm_${k}/${n}`, [f])));
        cin = f;
      }
      const matching = (release.matching ? release.matching[i] : channels !== f)
        ? conv(`${p}/matching_conv1D`, 1, channels, f, false)
        : null;
      if (!matching && channels !== f)
        fail(
          'UNSUPPORTED_CONFIG',
          `TCN '${this.name}': residual block ${i} has no 1×1 convolution, yet its input has ${channels} channels and it makes ${f}.`,
        );
      channels = f;
      return { convs, norms, matching };
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t] = singleShape(inputShape);
    const f = this.args.filters[this.args.filters.length - 1];
    return this.args.returnSequences ? [b, t, f] : [b, f];
  }

  private conv(x: tf.Tensor, c: ConvWeights, dilation: number, padding: Padding1D): tf.Tensor {
    let kernel = c.kernel.read();
    if (c.g)
      kernel = tf.mul(tf.mul(kernel, tf.rsqrt(tf.maximum(tf.sum(tf.square(kernel), [0, 1], true), 1e-12))), c.g.read());
    const k = kernel.shape[0];
    const padded = causalPad(x, padding, k, dilation) as tf.Tensor3D;
    const y = tf.conv1d(
      padded,
      dilateKernel(kernel, dilation) as tf.Tensor3D,
      1,
      padding === 'same' ? 'same' : 'valid',
    );
    return tf.add(y, c.bias.read());
  }

  private normalize(x: tf.Tensor, vars: tf.LayerVariable[] | undefined): tf.Tensor {
    if (!vars) return x;
    if (vars.length === 4) {
      const [gamma, beta, mean, variance] = vars.map((v) => v.read());
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), gamma), beta);
    }
    const [gamma, beta] = vars.map((v) => v.read());
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPSILON))), gamma), beta);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const { dilations, padding, useSkipConnections, returnSequences, goBackwards, release } = this.args;
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (goBackwards) x = tf.reverse(x, 1);
      if (this.inputConv) x = this.conv(x, this.inputConv, 1, 'causal');
      const skips: tf.Tensor[] = [];
      this.blocks.forEach((block, i) => {
        let h = x;
        for (let k = 0; k < 2; k++)
          h = this.innerAct(this.normalize(this.conv(h, block.convs[k], dilations[i], padding), block.norms[k]));
        if (release.branchActivation) h = this.act(h);
        const residual = block.matching ? this.conv(x, block.matching, 1, 'same') : x;
        x = this.act(tf.add(residual, h));
        skips.push(h);
      });
      let out = useSkipConnections ? (skips.length > 1 ? tf.addN(skips) : skips[0]) : x;
      if (!returnSequences) {
        const steps = out.shape[1] as number;
        const at = padding === 'same' && release.sameSliceMiddle ? Math.floor(steps / 2) : steps - 1;
        out = tf.squeeze(tf.slice(out, [0, at, 0], [-1, 1, -1]), [1]);
      }
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
register(KerasTCN);

/** The release-dependent math of a TCN from its config keys and (when known) its stored weights. */
export function tcnRelease(config: KerasLayerConfig, blocks: number, placed: PlacedWeight[] | null): TcnRelease {
  // Keys by release (keras-tcn's git history of tcn.py): use_layer_norm from 2.9.1, the 'same'
  // slice at T/2 from 2.9.2, use_weight_norm in 3.2.0 – 3.5.4 (with the configured activation inside
  // the blocks and the extra branch activation, kept when 3.5.5 dropped weight normalization),
  // go_backwards and return_state from 3.5.0. 2.9.1 wrote use_layer_norm yet still took the last
  // step under 'same' padding; its files cannot be told from 2.9.2's (two days apart), so the
  // 2.9.2 – 3.x rule is used.
  const modern = 'use_weight_norm' in config || 'go_backwards' in config || 'return_state' in config;
  return {
    inputConv: placed ? placed.some((p) => p.where.block === null) : false,
    innerActivation: modern ? 'configured' : 'relu',
    branchActivation: modern,
    sameSliceMiddle: 'use_layer_norm' in config,
    matching: placed
      ? Array.from({ length: blocks }, (_, i) => placed.some((p) => p.where.block === i && p.where.part === 'matching'))
      : null,
  };
}

/**
 * keras-tcn keeps `activation` as it was passed: a name, or a function, which Keras 3 writes as
 * `{class_name: 'function', config: '<name>'}` (a built-in's name; a user's function is refused by name).
 */
function activationOf(config: KerasLayerConfig): unknown {
  const a = config.activation as { class_name?: unknown; config?: unknown } | string | null | undefined;
  if (a && typeof a === 'object' && a.class_name === 'function' && typeof a.config === 'string') return a.config;
  return a ?? 'relu';
}

function readTcn(config: KerasLayerConfig, ctx: Pick<BuildContext, 'activation'> | null): KerasTCNArgs {
  const r = read(config, 'TCN');
  const dilations = r.ints('dilations', [1, 2, 4, 8, 16, 32]);
  const stacks = r.int('nb_stacks', 1);
  const nb = config.nb_filters;
  const perDilation = Array.isArray(nb) ? r.ints('nb_filters') : dilations.map(() => r.int('nb_filters', 64));
  if (perDilation.length !== dilations.length)
    r.unsupported('nb_filters', `a list of filters needs one entry per dilation (${dilations.length}).`);
  const norms = (['use_batch_norm', 'use_layer_norm', 'use_weight_norm'] as const).filter((k) => r.has(k) && r.bool(k));
  if (norms.length > 1) r.unsupported(norms[1], 'keras-tcn allows one normalization at a time.');
  const norm: TcnNorm =
    norms[0] === 'use_batch_norm'
      ? 'batch'
      : norms[0] === 'use_layer_norm'
        ? 'layer'
        : norms[0] === 'use_weight_norm'
          ? 'weight'
          : 'none';
  return {
    name: config.name,
    filters: Array.from({ length: stacks }, () => perDilation).flat(),
    kernelSize: r.int('kernel_size', 3),
    dilations: Array.from({ length: stacks }, () => dilations).flat(),
    padding: r.str('padding', 'causal', ['causal', 'same'] as const),
    useSkipConnections: r.bool('use_skip_connections', true),
    returnSequences: r.bool('return_sequences', false),
    activation: ctx ? ctx.activation(activationOf(config), `TCN '${config.name}' activation`) : 'linear',
    norm,
    goBackwards: r.bool('go_backwards', false),
    release: tcnRelease(config, stacks * dilations.length, null),
  };
}

/** The stored weights in the layer's weight order (see `KerasTCN.build`). */
function orderWeights(args: KerasTCNArgs, placed: PlacedWeight[]): WeightArray[] {
  const name = args.name;
  const find = (test: (p: PlacedWeight) => boolean, kind: TcnWeightKind, what: string): WeightArray => {
    const hits = placed.filter((p) => test(p) && p.kind === kind);
    if (hits.length !== 1)
      fail(
        'WEIGHT_MISMATCH',
        `TCN layer '${name}': ${hits.length ? `${hits.length} stored weights are` : 'no stored weight is'} the ${kind} of ${what} (stored: ${placed.map((p) => p.weight.name).join(', ')}).`,
      );
    return hits[0].weight;
  };
  const out: WeightArray[] = [];
  const conv = (test: (p: PlacedWeight) => boolean, what: string, weightNorm: boolean) => {
    if (weightNorm) {
      out.push(find(test, 'g', what));
      const init = placed.find((p) => test(p) && p.kind === 'initialized');
      if (init && init.weight.data.every((v) => v === 0))
        fail(
          'UNSUPPORTED_CONFIG',
          `TCN layer '${name}': the weight normalization of ${what} was never initialized (its 'initialized' flag is 0); Keras would initialize it from the first batch it sees. Save the model after training or a forward pass.`,
        );
    }
    out.push(find(test, 'kernel', what), find(test, 'bias', what));
  };
  const { release, norm, filters } = args;
  if (release.inputConv) conv((p) => p.where.block === null, 'the input convolution', false);
  filters.forEach((_, i) => {
    for (const k of [0, 1] as const) {
      const at = (part: 'conv' | 'norm') => (p: PlacedWeight) =>
        p.where.block === i && p.where.part === part && 'index' in p.where && p.where.index === k;
      conv(at('conv'), `residual block ${i} conv1D_${k}`, norm === 'weight');
      const kinds: TcnWeightKind[] =
        norm === 'batch'
          ? ['gamma', 'beta', 'moving_mean', 'moving_variance']
          : norm === 'layer'
            ? ['gamma', 'beta']
            : [];
      for (const kind of kinds) out.push(find(at('norm'), kind, `residual block ${i} normalization ${k}`));
    }
    if (release.matching?.[i])
      conv((p) => p.where.block === i && p.where.part === 'matching', `residual block ${i} matching_conv1D`, false);
  });
  return out;
}

/**
 * keras-tcn `TCN` (also saved as `Custom>TCN`) → {@link KerasTCN}, with the math of the release that
 * wrote the file (from its config keys and stored weight names). `Bidirectional(TCN)` is built by `bidirectional.ts`.
 */
export const tcnPort: LayerPort = {
  build(config, ctx) {
    const args = readTcn(config, ctx);
    const stored = ctx.storedWeights?.(config.name);
    if (stored?.length) args.release = tcnRelease(config, args.filters.length, placeWeights(config.name, stored));
    return new KerasTCN(args);
  },
  convertWeights(weights, config) {
    const args = readTcn(config, null);
    const placed = placeWeights(config.name, weights);
    args.release = tcnRelease(config, args.filters.length, placed);
    return orderWeights(args, placed);
  },
};
