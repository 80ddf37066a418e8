import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { BuildContext, LayerPort, WeightArray } from '../port.ts';
import { activationFunction, joinGateArrays, register, type Shape, singleShape } from './common.ts';
import type { RecurrentCell, RecurrentSource } from '../capabilities.ts';
import { fastRnnEligible, runFastRnn } from '../fast/recurrent.ts';

/** Options of {@link KerasGRU}; the TF.js spelling of the Keras GRU config. */
export interface KerasGRUArgs {
  /** Size of the state. */
  units: number;
  /** TF.js activation identifier of the candidate state (from `ctx.activation`). Default `'tanh'`. */
  activation?: string;
  /** TF.js activation identifier of the z and r gates. Default `'sigmoid'`. */
  recurrentActivation?: string;
  /** Default `true`. */
  useBias?: boolean;
  /**
   * Apply the reset gate after the recurrent matmul (tf.keras 2 / Keras 3 default, cuDNN-compatible;
   * bias (2, 3·units)) instead of before it (Keras ≤ 2.1 behaviour; bias (3·units)). Default `true`.
   */
  resetAfter?: boolean;
  /** Return the whole sequence (B, T, units) instead of the last output. Default `false`. */
  returnSequences?: boolean;
  /** Also return the final state as a second output. Default `false`. */
  returnState?: boolean;
  /** Process the sequence in reverse; the returned sequence is in processing order. Default `false`. */
  goBackwards?: boolean;
  /**
   * Output zeros at masked steps instead of repeating the previous output. Keras forces this to
   * `returnSequences` for the layers inside a `Bidirectional`. Default `false`.
   */
  zeroOutputForMask?: boolean;
  name?: string;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/**
 * Keras' GRU (`keras.layers.GRU`) with both `reset_after` modes, masks, `go_backwards`,
 * `return_sequences` and `return_state`, as a TF.js layer. Gate order z, r, h; weights `kernel`
 * (F, 3U), `recurrent_kernel` (U, 3U), `bias` (3U) or (2, 3U) with `reset_after` (row 0 input bias,
 * row 1 recurrent bias). Registered as `KerasGRU` because TF.js owns `GRU` (which rejects
 * `reset_after`). It carries `returnSequences`/`goBackwards`/`returnState` like TF.js RNN layers so
 * that `tf.layers.bidirectional` can clone it.
 *
 * Math (Cho et al. 2014, https://arxiv.org/abs/1406.1078, as Keras computes it):
 * `z = σ(x·Wz + bz + h·Uz [+ b'z])`, `r = σ(x·Wr + br + h·Ur [+ b'r])`,
 * reset_after: `ĥ = act(x·Wh + bh + r ⊙ (h·Uh + b'h))`; otherwise `ĥ = act(x·Wh + bh + (r ⊙ h)·Uh)`;
 * `h' = z ⊙ h + (1 − z) ⊙ ĥ`. At masked steps the state is carried and the output is the previous
 * output (zeros before the first unmasked step) or zero with `zeroOutputForMask`.
 */
export class KerasGRU extends tf.layers.Layer implements RecurrentSource {
  static className = 'KerasGRU';
  readonly units: number;
  readonly activation: string;
  readonly recurrentActivation: string;
  readonly useBias: boolean;
  readonly resetAfter: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly zeroOutputForMask: boolean;
  private kernel!: tf.LayerVariable;
  private recurrentKernel!: tf.LayerVariable;
  private bias: tf.LayerVariable | null = null;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly recAct: (x: tf.Tensor) => tf.Tensor;

  constructor(args: KerasGRUArgs) {
    super(args as never);
    if (!Number.isInteger(args.units) || args.units <= 0) {
      fail(
        'UNSUPPORTED_CONFIG',
        `KerasGRU '${args.name}': units must be a positive integer, found ${JSON.stringify(args.units)}.`,
      );
    }
    this.units = args.units;
    this.activation = args.activation ?? 'tanh';
    this.recurrentActivation = args.recurrentActivation ?? 'sigmoid';
    this.useBias = args.useBias ?? true;
    this.resetAfter = args.resetAfter ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.act = activationFunction(this.activation);
    this.recAct = activationFunction(this.recurrentActivation);
    this.supportsMasking = true;
  }

  /** One state per direction, as TF.js' `Bidirectional.computeMask` expects of an RNN. */
  get states(): null[] {
    return [null];
  }

  override resetStates(): void {}

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const features = shape[shape.length - 1];
    if (shape.length !== 3 || features === null) {
      fail(
        'INPUT_SHAPE',
        `GRU '${this.name}' expects input of shape (batch, steps, features) with known features; got ${JSON.stringify(shape)}.`,
      );
    }
    const u = this.units;
    // Weights always come from a file (or setWeights); random initialization would only cost time.
    this.kernel = this.addWeight('kernel', [features, 3 * u], 'float32', tf.initializers.zeros());
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 3 * u], 'float32', tf.initializers.zeros());
    if (this.useBias) {
      this.bias = this.addWeight('bias', this.resetAfter ? [2, 3 * u] : [3 * u], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  /** Weights and settings (z, r, h gate order), for explain's LRP. */
  recurrentCell(): RecurrentCell {
    return {
      kind: 'gru',
      units: this.units,
      kernel: this.kernel.read(),
      recurrentKernel: this.recurrentKernel.read(),
      bias: this.bias ? this.bias.read() : null,
      resetAfter: this.resetAfter,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      applyActivation: this.act,
      applyRecurrentActivation: this.recAct,
      goBackwards: this.goBackwards,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
    };
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [b, t] = singleShape(inputShape);
    const out: Shape = this.returnSequences ? [b, t, this.units] : [b, this.units];
    return this.returnState ? [out, [b, this.units]] : out;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? mask[0] : mask;
    const out = this.returnSequences && m ? m : null;
    return (this.returnState ? [out, null] : out) as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const given =
        Array.isArray(inputs) && inputs.length > 1 ? inputs[1] : (kwargs?.initialState as tf.Tensor[] | undefined)?.[0];
      const rawMask = kwargs?.mask as tf.Tensor | tf.Tensor[] | undefined | null;
      let mask = (Array.isArray(rawMask) ? rawMask[0] : rawMask) ?? null;
      if (fastRnnEligible(this, x, mask)) {
        // One fused kernel for the whole sequence (fast/recurrent.ts); the loop below is the reference.
        const bias = this.bias?.read() ?? null;
        const c = {
          kind: 'gru',
          units: this.units,
          activation: this.activation,
          recurrentActivation: this.recurrentActivation,
          resetAfter: this.resetAfter,
        } as const;
        return runFastRnn(
          {
            ...c,
            kernel: this.kernel.read(),
            recurrentKernel: this.recurrentKernel.read(),
            bias,
            goBackwards: this.goBackwards,
            returnSequences: this.returnSequences,
            returnState: this.returnState,
          },
          x,
          given ? [given] : null,
        );
      }
      const [batch, steps, features] = x.shape;
      const u = this.units;
      if (this.goBackwards) {
        x = tf.reverse(x, 1);
        // As float: the wasm backend's own Reverse is wrong for bool tensors (see wasm-ops.ts).
        if (mask) mask = tf.reverse(tf.cast(mask, 'float32'), 1);
      }
      // Input projections of all steps in one matmul: (B·T, F)·(F, 3U).
      let xw = tf.reshape(tf.matMul(tf.reshape(x, [batch * steps, features]), this.kernel.read()), [
        batch,
        steps,
        3 * u,
      ]);
      let recBias: tf.Tensor | null = null;
      if (this.bias) {
        const b = this.bias.read();
        if (this.resetAfter) {
          const [inB, recB] = tf.unstack(b, 0);
          xw = tf.add(xw, inB);
          recBias = recB;
        } else {
          xw = tf.add(xw, b);
        }
      }
      const rk = this.recurrentKernel.read();
      const rkZR = this.resetAfter ? null : tf.slice(rk, [0, 0], [u, 2 * u]);
      const rkH = this.resetAfter ? null : tf.slice(rk, [0, 2 * u], [u, u]);
      const xs = tf.unstack(xw, 1);
      const masks = mask ? tf.unstack(tf.reshape(tf.cast(mask, 'float32'), [batch, steps, 1]), 1) : null;
      let h: tf.Tensor = given ? tf.cast(given, 'float32') : tf.zeros([batch, u]);
      let prevOut: tf.Tensor = tf.zeros([batch, u]);
      const outputs: tf.Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const [xz, xr, xh] = tf.split(xs[t], 3, 1);
        let hh: tf.Tensor;
        let z: tf.Tensor;
        if (this.resetAfter) {
          let inner = tf.matMul(h, rk);
          if (recBias) inner = tf.add(inner, recBias);
          const [iz, ir, ih] = tf.split(inner, 3, 1);
          z = this.recAct(tf.add(xz, iz));
          const r = this.recAct(tf.add(xr, ir));
          hh = this.act(tf.add(xh, tf.mul(r, ih)));
        } else {
          const [iz, ir] = tf.split(tf.matMul(h, rkZR as tf.Tensor), 2, 1);
          z = this.recAct(tf.add(xz, iz));
          const r = this.recAct(tf.add(xr, ir));
          hh = this.act(tf.add(xh, tf.matMul(tf.mul(r, h), rkH as tf.Tensor)));
        }
        let hNew: tf.Tensor = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
        let out = hNew;
        if (masks) {
          const m = masks[t];
          const keep = tf.sub(1, m);
          hNew = tf.add(tf.mul(m, hNew), tf.mul(keep, h));
          out = this.zeroOutputForMask ? tf.mul(m, out) : tf.add(tf.mul(m, out), tf.mul(keep, prevOut));
        }
        outputs.push(out);
        prevOut = out;
        h = hNew;
      }
      const result = this.returnSequences ? tf.stack(outputs, 1) : prevOut;
      return this.returnState ? [result, h] : result;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      resetAfter: this.resetAfter,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
      stateful: false,
    };
  }
}
register(KerasGRU);

/** Reject the RNN options a ported model cannot honour; shared by GRU and the CuDNN ports. */
export function rejectUnportableRnnOptions(config: KerasLayerConfig, className: string): void {
  const r = read(config, className);
  if (r.bool('stateful', false)) {
    r.unsupported(
      'stateful',
      'a stateful RNN carries its state from one batch to the next, which an imported model does not reproduce. Re-save the model with stateful=False (the weights are the same) and import that.',
    );
  }
  if (r.bool('time_major', false)) {
    r.unsupported(
      'time_major',
      'only batch-major (batch, steps, features) inputs are supported. Re-save the model with time_major=False.',
    );
  }
}

/**
 * The layer args `CuDNNGRU` and `CuDNNLSTM` share: name, units and the return/direction flags from the
 * config, and the `tanh`/`sigmoid` activations and bias that cuDNN always computes with. Rejects what
 * {@link rejectUnportableRnnOptions} rejects.
 */
export function cudnnRnnArgs(config: KerasLayerConfig, className: string) {
  const r = read(config, className);
  rejectUnportableRnnOptions(config, className);
  return {
    name: config.name,
    trainable: r.bool('trainable', true),
    units: r.int('units'),
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    useBias: true,
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
  } as const;
}

/** The layer args of a Keras GRU config (Keras 1 `output_dim`/`inner_activation` spellings included). */
export function gruArgs(config: KerasLayerConfig, ctx: BuildContext, className = 'GRU'): KerasGRUArgs {
  const r = read(config, className);
  rejectUnportableRnnOptions(config, className);
  const defaultRecurrent = ctx.kerasVersion.major >= 3 ? 'sigmoid' : 'hard_sigmoid';
  return {
    name: config.name,
    trainable: r.bool('trainable', true),
    units: r.has('units') ? r.int('units') : r.int('output_dim'),
    activation: ctx.activation(config.activation ?? 'tanh'),
    recurrentActivation: ctx.activation(config.recurrent_activation ?? config.inner_activation ?? defaultRecurrent),
    useBias: r.bool('use_bias', true),
    // Keras < 2.1.3 wrote no `reset_after` and computed the reset-before variant.
    resetAfter: r.has('reset_after') ? r.bool('reset_after') : false,
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
    zeroOutputForMask: r.bool('zero_output_for_mask', false),
  };
}

/**
 * Keras `GRU` → {@link KerasGRU}. Weights load as stored; Keras 1's nine per-gate arrays
 * (`W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h`) are concatenated as Keras 2 does when loading them.
 */
export const gruPort: LayerPort = {
  keepsKerasLayout: true,
  build: (config, ctx) => new KerasGRU(gruArgs(config, ctx)),
  convertWeights(weights: WeightArray[], config): WeightArray[] {
    if (weights.length !== 9) {
      const bias = weights[2];
      const units = bias?.shape.length === 1 ? bias.shape[0] / 6 : 0;
      if (bias && config.reset_after === true && Number.isInteger(units) && units > 0) {
        return [weights[0], weights[1], { ...bias, shape: [2, 3 * units] }];
      }
      return weights;
    }
    return joinGateArrays(weights, [0, 1, 2], config.name);
  },
};
