/**
 * The fused whole-sequence path for LSTM, GRU and SimpleRNN layers, and TF.js layer classes that
 * take it when their configuration allows (no mask, no dropout, activations the kernels implement)
 * and otherwise fall back to the op-by-op TF.js implementation, which stays the reference.
 */
import * as tf from '@tensorflow/tfjs';
import type { RecurrentCell, RecurrentSource } from '../capabilities.ts';
import { fastMatMul } from './attention.ts';
import { ACTIVATION_CODES, KERNEL, savedStateInputs } from './kernels.ts';
import { fastPathAvailable } from './switch.ts';

/** One recurrent layer call, in the terms the fused kernels need. */
export interface FastRnnCall {
  kind: 'lstm' | 'gru' | 'simple';
  units: number;
  /** TF.js activation identifier of the output/candidate activation. */
  activation: string;
  /** TF.js activation identifier of the gates (LSTM, GRU). */
  recurrentActivation?: string;
  /** GRU only: reset gate after the recurrent matmul. */
  resetAfter?: boolean;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  /** (G·U), or for a reset-after GRU (2, 3U): input bias and recurrent bias. */
  bias: tf.Tensor | null;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
}

/** Whether the fused path can run this call; false means: use the reference implementation. */
export function fastRnnEligible(
  c: Pick<FastRnnCall, 'activation' | 'recurrentActivation'>,
  x: tf.Tensor,
  mask: unknown,
): boolean {
  if (mask != null || x.rank !== 3 || x.shape[1] === 0 || x.shape[0] === 0) return false;
  if (!(c.activation in ACTIVATION_CODES)) return false;
  if (c.recurrentActivation !== undefined && !(c.recurrentActivation in ACTIVATION_CODES)) return false;
  return fastPathAvailable('recurrent');
}

/**
 * Run a whole recurrent layer as one kernel: LSTM and GRU project the input step by step inside
 * it; SimpleRNN takes the projection of all steps from one matmul. Returns what the layer's `call`
 * returns (output, plus states with returnState).
 */
export function runFastRnn(
  c: FastRnnCall,
  input: tf.Tensor,
  initialState: tf.Tensor[] | null,
): tf.Tensor | tf.Tensor[] {
  return tf.tidy(() => {
    const x = c.goBackwards ? tf.reverse(input, 1) : input;
    const [B, T, F] = x.shape as [number, number, number];
    const U = c.units;
    const G = c.kind === 'lstm' ? 4 : c.kind === 'gru' ? 3 : 1;
    let inputBias = c.bias;
    let recurrentBias: tf.Tensor | null = null;
    if (c.bias?.rank === 2) [inputBias, recurrentBias] = tf.unstack(c.bias, 0);
    const engine = tf.engine();
    // What only the backward pass reads is kept only when a gradient tape records this call. The
    // LSTM and GRU kernels project the input themselves, step by step (x·W + b never becomes a
    // tensor); SimpleRNN takes it from one matmul.
    const taping = engine.isTapeOn();
    const source: tf.NamedTensorMap =
      c.kind === 'simple'
        ? { zx: tf.reshape(fastMatMul(tf.reshape(x, [B * T, F]), c.kernel, inputBias), [B, T, G * U]) }
        : { x: tf.cast(x, 'float32'), kernel: c.kernel, ...(inputBias ? { bias: inputBias } : {}) };
    const state = (i: number) => (initialState?.[i] ? tf.cast(initialState[i], 'float32') : tf.zeros([B, U]));
    const attrs = {
      activation: ACTIVATION_CODES[c.activation],
      recurrentActivation: ACTIVATION_CODES[c.recurrentActivation ?? 'linear'],
    };
    let hs: tf.Tensor;
    const states: tf.Tensor[] = [];
    if (c.kind === 'lstm') {
      const out = engine.runKernel(
        taping ? KERNEL.lstm : KERNEL.lstmInference,
        {
          ...source,
          recurrentKernel: c.recurrentKernel,
          h0: state(0),
          c0: state(1),
          ...(taping ? savedStateInputs('lstm', B, T, U) : {}),
        },
        attrs,
      ) as tf.Tensor[];
      hs = out[0];
      states.push(out[1]);
    } else if (c.kind === 'gru') {
      const rb = recurrentBias ?? tf.zeros([3 * U]);
      hs = (
        engine.runKernel(
          taping ? KERNEL.gru : KERNEL.gruInference,
          {
            ...source,
            recurrentKernel: c.recurrentKernel,
            recurrentBias: rb,
            h0: state(0),
            ...(taping ? savedStateInputs('gru', B, T, U) : {}),
          },
          { ...attrs, resetAfter: c.resetAfter ? 1 : 0 },
        ) as tf.Tensor[]
      )[0];
    } else {
      hs = engine.runKernel(
        KERNEL.rnn,
        { ...source, recurrentKernel: c.recurrentKernel, h0: state(0) },
        attrs,
      ) as tf.Tensor;
    }
    // the last output only where it is returned (a strided slice of hs is not free)
    const last = () => tf.reshape(tf.slice(hs, [0, T - 1, 0], [B, 1, U]), [B, U]);
    const output = c.returnSequences ? hs : last();
    return c.returnState ? [output, c.returnSequences ? last() : output, ...states] : output;
  });
}

type RnnLayer = tf.layers.Layer & {
  cell: {
    units: number;
    activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
    recurrentActivation?: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
    dropout?: number;
    recurrentDropout?: number;
    kernel: tf.LayerVariable;
    recurrentKernel: tf.LayerVariable;
    bias: tf.LayerVariable | null;
    useBias: boolean;
  };
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  stateful: boolean;
};

/** The fused call of a TF.js `LSTM` or `SimpleRNN` layer, or null when it must take the reference path. */
function tfjsRnnFast(
  layer: RnnLayer,
  kind: 'lstm' | 'simple',
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
): tf.Tensor | tf.Tensor[] | null {
  if (Array.isArray(inputs) && inputs.length !== 1) return null;
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  const cell = layer.cell;
  if (layer.stateful || (cell.dropout ?? 0) > 0 || (cell.recurrentDropout ?? 0) > 0) return null;
  const call = {
    kind,
    units: cell.units,
    activation: cell.activation.getClassName(),
    recurrentActivation: kind === 'lstm' ? cell.recurrentActivation!.getClassName() : undefined,
  };
  if (!fastRnnEligible(call, x, kwargs?.mask)) return null;
  const initial = (kwargs?.initialState as tf.Tensor[] | null | undefined) ?? null;
  return runFastRnn(
    {
      ...call,
      kernel: cell.kernel.read(),
      recurrentKernel: cell.recurrentKernel.read(),
      bias: cell.useBias && cell.bias ? cell.bias.read() : null,
      goBackwards: layer.goBackwards,
      returnSequences: layer.returnSequences,
      returnState: layer.returnState,
    },
    x,
    initial,
  );
}

type LayerClass = new (args: never) => tf.layers.Layer;
const registeredClass = (name: string) =>
  tf.serialization.SerializationMap.getMap().classNameMap[name][0] as unknown as LayerClass;

function withFastPath(className: 'LSTM' | 'SimpleRNN', kind: 'lstm' | 'simple'): LayerClass {
  const Base = registeredClass(className);
  // Not registered for deserialization: serialized, it is the TF.js class it extends.
  return class extends Base implements RecurrentSource {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      return tfjsRnnFast(this as unknown as RnnLayer, kind, inputs, kwargs) ?? super.call(inputs, kwargs);
    }

    /** The TF.js cell's weights and activations (the capability explain's LRP reads). */
    recurrentCell(): RecurrentCell {
      const l = this as unknown as RnnLayer;
      const { cell } = l;
      const gates = kind === 'lstm' ? cell.recurrentActivation : undefined;
      return {
        kind,
        units: cell.units,
        kernel: cell.kernel.read(),
        recurrentKernel: cell.recurrentKernel.read(),
        bias: cell.useBias && cell.bias ? cell.bias.read() : null,
        resetAfter: false,
        activation: cell.activation.getClassName(),
        recurrentActivation: gates ? gates.getClassName() : 'linear',
        applyActivation: (x) => cell.activation.apply(x),
        applyRecurrentActivation: (x) => (gates ? gates.apply(x) : x),
        goBackwards: l.goBackwards,
        returnSequences: l.returnSequences,
        returnState: l.returnState,
      };
    }
  };
}

/** TF.js' `LSTM` with the fused path; same config, weights and serialization. */
export const FastLSTM = withFastPath('LSTM', 'lstm') as unknown as new (
  args: Parameters<typeof tf.layers.lstm>[0],
) => tf.layers.Layer;
/** TF.js' `SimpleRNN` with the fused path; same config, weights and serialization. */
export const FastSimpleRNN = withFastPath('SimpleRNN', 'simple') as unknown as new (
  args: Parameters<typeof tf.layers.simpleRNN>[0],
) => tf.layers.Layer;

/**
 * Give a TF.js `Bidirectional`'s two inner layers the fused path: TF.js clones the wrapped layer
 * through its registered class name, which loses a subclass, so clone them again as fast layers.
 */
export function withFastInnerLayers(bi: tf.layers.Layer): tf.layers.Layer {
  const b = bi as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
  const fast = (l: tf.layers.Layer) => {
    const cls = l.getClassName();
    const Fast = cls === 'LSTM' ? FastLSTM : cls === 'SimpleRNN' ? FastSimpleRNN : null;
    if (!Fast || l.built) return l;
    const clone = new Fast(l.getConfig() as never);
    clone.name = l.name;
    return clone;
  };
  b.forwardLayer = fast(b.forwardLayer);
  b.backwardLayer = fast(b.backwardLayer);
  return bi;
}
