import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig, KerasLayerJson } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort, WeightArray } from '../port.ts';
import { register, type Shape, singleShape } from './common.ts';
import { gruPort } from './gru.ts';
import { LSTM, SimpleRNN } from '../recurrent.ts';

// Keras' generic `RNN` layer around the built-in cells (Keras 2 `layers/recurrent.py`, tf.keras
// `layers/rnn/base_rnn.py`, Keras 3 `layers/rnn/rnn.py`). `RNN(LSTMCell(…))` computes what
// `LSTM(…)` computes with the RNN's flags and stores the same arrays (kernel, recurrent_kernel,
// bias), so it is built as that layer. `RNN(StackedRNNCells([c1, …, cn]))` — also what `RNN([c1, …])`
// saves — feeds cell k's output at step t to cell k + 1 at step t: the cells' layers stacked with
// return_sequences, the last with the RNN's flags. At a masked step the whole stacked step is
// skipped, which the stacked layers do one by one with the same mask.

/** The layer each built-in cell class is the step of, with its port. */
const CELL_LAYERS: Record<string, { className: string; port: LayerPort; states: number }> = {
  LSTMCell: { className: 'LSTM', port: LSTM, states: 2 },
  GRUCell: { className: 'GRU', port: gruPort, states: 1 },
  SimpleRNNCell: { className: 'SimpleRNN', port: SimpleRNN, states: 1 },
};

/** The RNN flags a cell's layer takes from the wrapping `RNN` config. */
const RNN_FLAGS = ['return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'time_major'] as const;

/** Whether a layer JSON is an `RNN` over `StackedRNNCells`, which is built as {@link KerasStackedRNN}. */
export function isStackedRnn(json: KerasLayerJson): boolean {
  const cell = json.config?.cell as KerasLayerJson | undefined;
  return json.class_name === 'RNN' && cell?.class_name === 'StackedRNNCells';
}

/** The cells of an `RNN` config in step order, each with the layer class it is the step of. */
function cellsOf(c: KerasLayerConfig): { json: KerasLayerJson; layer: (typeof CELL_LAYERS)[string] }[] {
  const cell = c.cell as KerasLayerJson | undefined;
  if (!cell || typeof cell !== 'object' || typeof cell.class_name !== 'string')
    fail('UNSUPPORTED_CONFIG', `RNN layer '${c.name}' has no 'cell' in its config, which Keras always writes.`);
  const list =
    cell.class_name === 'StackedRNNCells'
      ? ((cell.config as { cells?: unknown }).cells as KerasLayerJson[] | undefined)
      : [cell];
  if (!Array.isArray(list) || list.length === 0)
    fail('UNSUPPORTED_CONFIG', `RNN layer '${c.name}': its StackedRNNCells config lists no cells.`);
  return list.map((json, k) => {
    const layer = CELL_LAYERS[json?.class_name];
    if (!layer || !Object.hasOwn(CELL_LAYERS, json.class_name))
      fail(
        'UNKNOWN_LAYER',
        `RNN layer '${c.name}' steps with cell ${list.length > 1 ? `${k} ` : ''}of class ${JSON.stringify(json?.class_name)}; Keraspect knows the built-in cells ${Object.keys(CELL_LAYERS).join(', ')}. For a cell of your own, register the whole layer: registerLayer('RNN', defineLayer('RNN', { weights, call })), or a --plugin module with the CLI.`,
      );
    return { json, layer };
  });
}

/** The Keras layer config that cell `k` of `n` computes inside an RNN with config `c`. */
function cellLayerJson(
  c: KerasLayerConfig,
  cell: KerasLayerJson,
  className: string,
  k: number,
  n: number,
): KerasLayerJson {
  const flags: Record<string, unknown> = {};
  for (const f of RNN_FLAGS) if (c[f] !== undefined) flags[f] = c[f];
  // in a stack, the input is reversed once (KerasStackedRNN) and an inner cell's whole sequence feeds the next
  if (n > 1) flags.go_backwards = false;
  if (k < n - 1) flags.return_sequences = true;
  if (k === n - 1 && c.zero_output_for_mask !== undefined) flags.zero_output_for_mask = c.zero_output_for_mask;
  return {
    class_name: className,
    config: { ...cell.config, ...flags, name: n === 1 ? c.name : `${c.name}_cell_${k}` },
  };
}

/**
 * `RNN(StackedRNNCells)`: the cells' layers applied one after the other, every one but the last
 * returning its whole sequence; with `go_backwards` the input (and mask) is reversed once and the
 * output is in that processing order, as Keras returns it. With `return_state`, the outputs are
 * `[output, …states of cell 0, …states of cell 1, …]` (an LSTM cell's h and c, a GRU's or
 * SimpleRNN's h), as Keras flattens them.
 */
export class KerasStackedRNN extends tf.layers.Layer {
  static className = 'KerasStackedRNN';
  readonly cells: tf.layers.Layer[];
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  private readonly stateCounts: number[];

  constructor(args: {
    name: string;
    cells: tf.layers.Layer[];
    stateCounts: number[];
    returnSequences: boolean;
    returnState: boolean;
    goBackwards: boolean;
  }) {
    super({ name: args.name, trainable: false });
    this.cells = args.cells;
    this.stateCounts = args.stateCounts;
    this.returnSequences = args.returnSequences;
    this.returnState = args.returnState;
    this.goBackwards = args.goBackwards;
    this.supportsMasking = true;
  }

  /** Each cell's input shape and its output sequence shape, cell after cell from `shape`. */
  private cellShapes(shape: Shape): { input: Shape; output: Shape }[] {
    const out: { input: Shape; output: Shape }[] = [];
    let s = shape;
    for (const cell of this.cells) {
      const o = cell.computeOutputShape(s);
      const seq = (Array.isArray(o[0]) ? o[0] : o) as Shape;
      out.push({ input: s, output: seq });
      s = seq;
    }
    return out;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = this.cellShapes(singleShape(inputShape));
    tf.tidy(() => {
      this.cells.forEach((cell, k) => {
        cell.build(shapes[k].input);
        cell.built = true;
      });
    });
    this.built = true;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return this.cells.flatMap((c) => c.trainableWeights);
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.cells.flatMap((c) => c.nonTrainableWeights);
  }

  /** Cell after cell, as the file stores them (whatever each cell's layer counts as trainable). */
  override get weights(): tf.LayerVariable[] {
    return this.cells.flatMap((c) => c.weights);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    const [b, t] = shape;
    const units = this.cellShapes(shape).map(({ output }) => output[output.length - 1] as number);
    const last = units[units.length - 1];
    const out: Shape = this.returnSequences ? [b, t, last] : [b, last];
    if (!this.returnState) return out;
    return [out, ...units.flatMap((u, k) => Array.from({ length: this.stateCounts[k] }, (): Shape => [b, u]))];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? mask[0] : mask;
    const out = this.returnSequences && m ? m : null;
    if (!this.returnState) return out as tf.Tensor;
    return [out, ...this.stateCounts.flatMap((n) => new Array(n).fill(null))] as tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    if (Array.isArray(inputs) && inputs.length > 1)
      fail(
        'UNSUPPORTED_CONFIG',
        `RNN layer '${this.name}' (stacked cells) is called with an initial state; Keraspect runs stacked cells from zero states only.`,
      );
    return tf.tidy(() => {
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      const given = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
      let mask = (Array.isArray(given) ? given[0] : given) ?? null;
      if (this.goBackwards) {
        x = tf.reverse(x, 1);
        // reversed as float32: the wasm backend's Reverse reads bool tensors wrongly
        if (mask) mask = tf.cast(tf.reverse(tf.cast(mask, 'float32'), 1), 'bool');
      }
      const states: tf.Tensor[] = [];
      for (const cell of this.cells) {
        const out = cell.call(x, mask ? { mask } : {});
        const [seq, ...own] = Array.isArray(out) ? out : [out];
        states.push(...own);
        x = seq;
      }
      return this.returnState ? [x, ...states] : x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
    };
  }
}
register(KerasStackedRNN);

/** Keras `RNN` around `LSTMCell`, `GRUCell`, `SimpleRNNCell` or `StackedRNNCells` of them. */
export const rnnPort: LayerPort = {
  keepsKerasLayout: true,
  build(c, ctx) {
    const r = read(c, 'RNN');
    const cells = cellsOf(c);
    const n = cells.length;
    if (n === 1) return ctx.buildLayer(cellLayerJson(c, cells[0].json, cells[0].layer.className, 0, 1));
    return new KerasStackedRNN({
      name: c.name,
      cells: cells.map(({ json, layer }, k) => ctx.buildLayer(cellLayerJson(c, json, layer.className, k, n))),
      stateCounts: cells.map(({ layer }) => layer.states),
      returnSequences: r.bool('return_sequences', false),
      returnState: r.bool('return_state', false),
      goBackwards: r.bool('go_backwards', false),
    });
  },
  /** Each cell's weights, in the stored order, converted as its layer converts them. */
  convertWeights(weights, c, ctx) {
    const cells = cellsOf(c);
    const n = cells.length;
    const out: WeightArray[] = [];
    let at = 0;
    cells.forEach(({ json, layer }, k) => {
      // the last cell takes what is left, so that a wrong count fails the loader's shape check there
      const count = k === n - 1 ? weights.length - at : cellWeightCount(json);
      const own = weights.slice(at, at + count);
      at += count;
      const config = cellLayerJson(c, json, layer.className, k, n).config;
      out.push(...(layer.port.convertWeights ? layer.port.convertWeights(own, config, ctx) : own));
    });
    return out;
  },
};

/** How many arrays a built-in cell stores: kernel, recurrent_kernel and, with use_bias, bias. */
function cellWeightCount(cell: KerasLayerJson): number {
  return (cell.config as { use_bias?: unknown }).use_bias === false ? 2 : 3;
}
