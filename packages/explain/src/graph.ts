import type * as tf from '@tensorflow/tfjs';
import type { KerasModel } from '@keraspect/importer';
import { fail } from './errors.ts';

/** The graph node that made a symbolic tensor (internal view of TF.js' `Node`). */
interface GraphNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

type LayerWithNodes = tf.layers.Layer & { inboundNodes: GraphNode[]; supportsMasking?: boolean };

/** Evaluates a layer the way it would be without the override at hand (the layer itself, or inner overrides). */
export type LayerCall = (inputs: tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor[];

/**
 * Replaces how one layer is evaluated (for pre-activation outputs and LRP). Returns the layer's
 * outputs, or `undefined` to run the layer as usual. `next` gives the outputs without this
 * override, so overrides compose: LRP's rule for the output layer sees the linear output that
 * `preActivation` makes.
 */
export type LayerOverride = (
  layer: tf.layers.Layer,
  inputs: tf.Tensor[],
  kwargs: Record<string, unknown>,
  next: LayerCall,
) => tf.Tensor[] | undefined;

/** `outer` applied over `inner`: `outer`'s `next` is `inner` (or the layer itself where `inner` declines). */
export function composeOverrides(outer: LayerOverride | undefined, inner: LayerOverride | undefined) {
  if (!outer || !inner) return outer ?? inner;
  const both: LayerOverride = (layer, ins, kwargs, next) => {
    const below: LayerCall = (i, k) => inner(layer, i, k, next) ?? next(i, k);
    return outer(layer, ins, kwargs, below) ?? inner(layer, ins, kwargs, next);
  };
  return both;
}

const toList = (t: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(t) ? t : [t]);

/** The symbolic output tensors of a layer's last call (the call Keras' `layer.output` reports). */
export function layerSymbolicOutputs(layer: tf.layers.Layer): tf.SymbolicTensor[] {
  const nodes = (layer as LayerWithNodes).inboundNodes;
  const node = nodes[nodes.length - 1] ?? nodes[0];
  return node.outputTensors;
}

function nodeOf(st: tf.SymbolicTensor): GraphNode {
  const layer = st.sourceLayer as LayerWithNodes;
  for (const node of layer.inboundNodes) if (node.outputTensors.some((o) => o.id === st.id)) return node;
  return fail('UNKNOWN_LAYER', `The tensor '${st.name}' is not produced by any call of layer '${layer.name}'.`);
}

/**
 * Evaluate `fetches` of a model graph from `feeds` (symbolic tensor id → value), the way TF.js'
 * executor does for `predict` (inference mode, masks propagated), with two additions: a feed may be
 * any intermediate tensor (so the graph can be split at a layer), and `override` can replace how a
 * layer is evaluated. Differentiable; the caller owns the returned tensors and should run this
 * inside `tf.tidy`.
 */
export function runGraph(
  fetches: tf.SymbolicTensor[],
  feeds: Map<number, tf.Tensor>,
  override?: LayerOverride,
): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>(feeds);
  const masks = new Map<number, tf.Tensor | null>();
  const evaluate = (st: tf.SymbolicTensor): tf.Tensor => {
    const known = values.get(st.id);
    if (known) return known;
    const layer = st.sourceLayer as LayerWithNodes;
    const node = nodeOf(st);
    if (!node.inputTensors.length || layer.getClassName() === 'InputLayer') {
      fail('INPUT_SHAPE', `No value was given for the model input '${layer.name}'.`);
    }
    const ins = node.inputTensors.map(evaluate);
    const inMasks = node.inputTensors.map((t) => masks.get(t.id) ?? null);
    const kwargs: Record<string, unknown> = { training: false };
    if (inMasks.some((m) => m !== null)) kwargs.mask = inMasks[0];
    const plain: LayerCall = (i, k) => toList(layer.apply(i, k) as tf.Tensor | tf.Tensor[]);
    const outs = override?.(layer, ins, kwargs, plain) ?? plain(ins, kwargs);
    let outMask: tf.Tensor | tf.Tensor[] | null = null;
    if (layer.supportsMasking)
      outMask = (layer.computeMask(ins, inMasks as tf.Tensor[]) as tf.Tensor | tf.Tensor[] | null) ?? null;
    node.outputTensors.forEach((o, i) => {
      values.set(o.id, outs[i]);
      masks.set(o.id, Array.isArray(outMask) ? (outMask[0] ?? null) : outMask);
    });
    return outs[node.outputTensors.findIndex((o) => o.id === st.id)];
  };
  return fetches.map(evaluate);
}

/** Feeds for the model inputs. */
export function inputFeeds(km: KerasModel, xs: tf.Tensor[]): Map<number, tf.Tensor> {
  return new Map(km.model.inputs.map((s, i) => [s.id, xs[i]]));
}
