import type { KerasLayerConfig, KerasLayerJson, KerasShape } from './types.ts';

/**
 * The normalized model graph: every Keras producer's config (Keras 1 list-style Sequential, Keras 2
 * nested lists, Keras 3 `__keras_tensor__` args) parsed into one shape. Sequential models become a
 * chain with an explicit input, so the builder only knows one kind of graph.
 */
export interface ModelGraph {
  name: string;
  /** The Keras class of the model as written (`Sequential`, `Functional`, `Model`). */
  className: string;
  layers: GraphLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

/** A reference to output `tensor` of call `node` of layer `layer` (Keras' `keras_history`). */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One call of a layer in the graph. */
export interface NodeCall {
  /**
   * Tensors the layer is called on: positional tensors first (a list argument is flattened), then
   * tensors passed as keyword arguments, in the order written (their names are in
   * `tensorKwargNames`; e.g. MultiHeadAttention called as `mha(q, value=v)` gets `[q, v]`).
   */
  inputs: TensorRef[];
  tensorKwargNames: string[];
  /** Non-tensor keyword arguments as written (`training`, `return_attention_scores`, …). */
  kwargs: Record<string, unknown>;
  /** Whether the positional argument was a list (Keras passes `[a, b]` to merge layers). */
  listInput: boolean;
  /**
   * Every argument of the call as written, tensors replaced by slots into `inputs`: what op layers
   * (`TFOpLambda`, Keras 3 `keras.src.ops` operations) bind to their parameters. tf.keras writes the
   * first argument positionally and the rest by name; Keras 3 writes `args` and `kwargs` as called.
   */
  template: CallTemplate;
  /**
   * Masks passed explicitly as `mask=` (Keras 3 writes the mask it propagated this way, computed by
   * op nodes such as `NotEqual`/`Any`): one entry per tensor of the first argument, `null` where
   * that tensor has none. Absent when the call had no mask argument. Not part of `inputs`.
   */
  masks?: (TensorRef | null)[];
}

/** A call argument: a tensor slot (index into `NodeCall.inputs`), a constant, or a structure of them. */
export type ArgTemplate =
  | { tensor: number }
  | { value: unknown }
  | { list: ArgTemplate[] }
  | { dict: Record<string, ArgTemplate> };

/** The arguments of one call: positional, then by name. */
export interface CallTemplate {
  args: ArgTemplate[];
  kwargs: Record<string, ArgTemplate>;
}

/** A layer of the graph with its verbatim Keras class name and config. */
export interface GraphLayer {
  className: string;
  name: string;
  config: KerasLayerConfig;
  calls: NodeCall[];
  json: KerasLayerJson;
  /** Set when the layer is itself a model (nested Sequential/Functional). */
  nested?: ModelGraph;
  /** InputLayer only: the input's shape including the batch dimension. */
  batchShape?: KerasShape;
  /** InputLayer only. */
  dtype?: string;
}
