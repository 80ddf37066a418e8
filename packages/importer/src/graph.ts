import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';

/** Evaluates one layer call as it would be without the override at hand (the layer itself, or inner overrides). */
export type LayerCall = (inputs: tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor[];

/**
 * Replaces how a layer is evaluated (explain's pre-activation targets and LRP). Returns the layer's
 * outputs, or `undefined` to run the layer as usual. `next` gives the outputs without this
 * override, so overrides compose (see {@link composeOverrides}).
 */
export type LayerOverride = (
  layer: tf.layers.Layer,
  inputs: tf.Tensor[],
  kwargs: Record<string, unknown>,
  next: LayerCall,
) => tf.Tensor[] | undefined;

/** `outer` applied over `inner`: `outer`'s `next` is `inner` (or the layer itself where `inner` declines). */
export function composeOverrides(
  outer: LayerOverride | undefined,
  inner: LayerOverride | undefined,
): LayerOverride | undefined {
  if (!outer || !inner) return outer ?? inner;
  return (layer, ins, kwargs, next) => {
    const below: LayerCall = (i, k) => inner(layer, i, k, next) ?? next(i, k);
    return outer(layer, ins, kwargs, below) ?? inner(layer, ins, kwargs, next);
  };
}

/** Values for graph tensors: the model inputs, or any intermediate tensor (which splits the graph there). */
export type GraphFeeds = ReadonlyMap<tf.SymbolicTensor, tf.Tensor>;

/** One call of a layer in the graph: the symbolic tensors it was applied to and those it made. */
export interface GraphCall {
  readonly inputs: readonly tf.SymbolicTensor[];
  readonly outputs: readonly tf.SymbolicTensor[];
}

/** Every call of `layer` in its graph, in call order (empty for a layer that is never called). */
export function callsOf(layer: tf.layers.Layer): GraphCall[] {
  return layer.inboundNodes.map((n) => ({ inputs: n.inputTensors, outputs: n.outputTensors }));
}

/**
 * The last call of `layer` (the one Keras' `layer.input`/`layer.output` report), or `null` for a
 * layer that is never called.
 */
export function lastCallOf(layer: tf.layers.Layer): GraphCall | null {
  const calls = callsOf(layer);
  return calls[calls.length - 1] ?? null;
}

const toList = (t: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(t) ? t : [t]);

const isContainer = (layer: tf.layers.Layer): layer is tf.LayersModel => layer instanceof tf.LayersModel;

/** Options of {@link runGraph}. */
export interface RunGraphOptions {
  /** Replaces how layers are evaluated (see {@link LayerOverride}). */
  override?: LayerOverride;
  /**
   * Dispose each intermediate tensor as soon as the layers that read it have run, as TF.js' own
   * `predict` does, instead of leaving them to the caller's `tf.tidy`: bounds memory on deep models.
   * Only for evaluations no gradient is taken through. Default false.
   */
  release?: boolean;
}

/**
 * The one graph evaluator: computes `fetches` of a model graph from `feeds`, as TF.js' executor does
 * for `predict` (inference mode, each layer given the mask of its first input), with more: a feed
 * may be any intermediate tensor (so the graph can be split at a layer), a layer called several
 * times is evaluated per call, nested models are evaluated layer by layer (so overrides reach the
 * layers inside them; the override never sees the nested model itself), and `options.override` can
 * replace how a layer is evaluated. Differentiable (without `release`). Run it inside `tf.tidy`:
 * the caller owns the returned tensors, and intermediate ones are left to the tidy.
 */
export function runGraph(
  fetches: readonly tf.SymbolicTensor[],
  feeds: GraphFeeds,
  options: RunGraphOptions = {},
): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>();
  for (const [s, t] of feeds) values.set(s.id, t);
  return evaluateAll(fetches, values, new Map(), options);
}

/** The graph node that makes `st`, or a clear error for a tensor with no value and no maker. */
function nodeOf(st: tf.SymbolicTensor) {
  const layer = st.sourceLayer;
  const node = layer.inboundNodes[st.nodeIndex];
  if (!node?.inputTensors.length || layer.getClassName() === 'InputLayer') {
    return fail('INPUT_SHAPE', `No value was given for the input '${layer.name}' of the graph.`);
  }
  return node;
}

/** How many node evaluations will read each tensor (by id), for the nodes `fetches` need beyond `values`. */
function readers(fetches: readonly tf.SymbolicTensor[], values: Map<number, tf.Tensor>): Map<number, number> {
  const counts = new Map<number, number>();
  const seen = new Set<unknown>();
  const visit = (st: tf.SymbolicTensor): void => {
    if (values.has(st.id)) return;
    const node = nodeOf(st);
    if (seen.has(node)) return;
    seen.add(node);
    for (const t of node.inputTensors) {
      counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
      visit(t);
    }
  };
  fetches.forEach(visit);
  return counts;
}

/** Whether the nodes `fetches` need beyond `values` include a KerasMaskAttach (an explicit `mask=`). */
function explicitMasks(fetches: readonly tf.SymbolicTensor[], values: Map<number, tf.Tensor>): boolean {
  const seen = new Set<number>();
  const visit = (st: tf.SymbolicTensor): boolean => {
    if (values.has(st.id) || seen.has(st.id)) return false;
    seen.add(st.id);
    if (st.sourceLayer.getClassName() === 'KerasMaskAttach') return true;
    return nodeOf(st).inputTensors.some(visit);
  };
  return fetches.some(visit);
}

function evaluateAll(
  fetches: readonly tf.SymbolicTensor[],
  values: Map<number, tf.Tensor>,
  masks: Map<number, tf.Tensor | null>,
  options: RunGraphOptions,
): tf.Tensor[] {
  const { override, release = false } = options;
  const keep = new Set([...values.keys(), ...fetches.map((f) => f.id)]);
  // Explicit masks (Keras 3's mask= arguments, carried by the builder's KerasMaskAttach layers) reach
  // layers past their immediate readers; with them, intermediates are left to the caller's tidy.
  const pending = release && !explicitMasks(fetches, values) ? readers(fetches, values) : null;
  // Several graph tensors may hold one tensor object (a layer that returns its input): dispose it
  // when the last of them is done.
  const holders = new Map<tf.Tensor, number>();
  const hold = (t: tf.Tensor) => holders.set(t, (holders.get(t) ?? 0) + 1);
  const maskTensors = new Set<tf.Tensor>([...masks.values()].filter((m): m is tf.Tensor => m !== null));
  const done = (id: number): void => {
    if (!pending || keep.has(id)) return;
    const left = (pending.get(id) ?? 0) - 1;
    pending.set(id, left);
    if (left > 0) return;
    const t = values.get(id);
    if (!t) return;
    const n = (holders.get(t) ?? 1) - 1;
    holders.set(t, n);
    // A tensor that is also a mask (a layer may pass an input on as its output's mask) lives on: masks
    // reach layers past the immediate readers; the caller's tidy frees them, as TF.js' executor does.
    if (n === 0 && !maskTensors.has(t) && ![...keep].some((k) => values.get(k) === t)) t.dispose();
  };
  const evaluate = (st: tf.SymbolicTensor): tf.Tensor => {
    const known = values.get(st.id);
    if (known) return known;
    const layer = st.sourceLayer;
    const node = nodeOf(st);
    const ins = node.inputTensors.map(evaluate);
    const inMasks = node.inputTensors.map((t) => masks.get(t.id) ?? null);
    const kwargs: Record<string, unknown> = { training: false };
    if (inMasks.some((m) => m !== null)) kwargs.mask = inMasks[0];
    let outs: tf.Tensor[];
    let outMasks: (tf.Tensor | null)[];
    if (isContainer(layer)) {
      ({ outs, outMasks } = evaluateNested(layer, ins, inMasks, options));
    } else {
      const plain: LayerCall = (i, k) => toList(layer.apply(i, k) as tf.Tensor | tf.Tensor[]);
      outs = override?.(layer, ins, kwargs, plain) ?? plain(ins, kwargs);
      const m = layer.supportsMasking
        ? ((layer.computeMask(ins, inMasks as tf.Tensor[]) as tf.Tensor | tf.Tensor[] | null) ?? null)
        : null;
      // One mask per output (an attention layer's weights, an RNN's states: none), as Keras keeps them.
      outMasks = node.outputTensors.map((_, i) => (Array.isArray(m) ? (m[i] ?? null) : m));
    }
    node.outputTensors.forEach((o, i) => {
      values.set(o.id, outs[i]);
      masks.set(o.id, outMasks[i] ?? null);
      if (outMasks[i]) maskTensors.add(outMasks[i] as tf.Tensor);
      hold(outs[i]);
    });
    for (const t of node.inputTensors) done(t.id);
    return outs[node.outputTensors.findIndex((o) => o.id === st.id)];
  };
  return fetches.map(evaluate);
}

/** A nested model's call, evaluated through its own graph with the same options. */
function evaluateNested(
  model: tf.LayersModel,
  ins: tf.Tensor[],
  inMasks: (tf.Tensor | null)[],
  options: RunGraphOptions,
): { outs: tf.Tensor[]; outMasks: (tf.Tensor | null)[] } {
  const values = new Map<number, tf.Tensor>();
  const masks = new Map<number, tf.Tensor | null>();
  model.inputs.forEach((s, i) => {
    values.set(s.id, ins[i]);
    masks.set(s.id, inMasks[i] ?? null);
  });
  const outs = evaluateAll(model.outputs, values, masks, options);
  return { outs, outMasks: model.outputs.map((o) => masks.get(o.id) ?? null) };
}
