import * as tf from '@tensorflow/tfjs';
import { fail, internalError, ImporterError } from './errors.ts';
import { DEFAULT_LIMITS, exceedLimit, type Limits } from './limits.ts';
import type { GraphLayer, ModelGraph, TensorRef } from './keras-format/graph.ts';
import { isModelJson, normalizeModel } from './keras-format/normalize.ts';
import type { KerasLayerJson } from './keras-format/types.ts';
import { activationFor } from './layers/activations.ts';
import { KerasMaskAttach } from './layers/mask-attach.ts';
import { isCallBound } from './layers/ops/op-layer.ts';
import { portFor } from './layers/registry.ts';
import type { BuildContext, ImportSemantics, KerasVersion, LambdaFn, LayerPort, WeightArray } from './layers/port.ts';

/** A built layer with the Keras facts the loader and summary need. */
export interface BuiltLayer {
  name: string;
  className: string;
  layer: tf.layers.Layer;
  port: LayerPort | null;
  graphLayer: GraphLayer;
  /** For nested models: their own built layers. */
  nested?: BuiltModel;
}

/** The TF.js model built from a `ModelGraph`, with a record of which port made each layer. */
export interface BuiltModel {
  model: tf.LayersModel;
  graph: ModelGraph;
  layers: BuiltLayer[];
}

/** Build options (see `ImportOptions`). */
export interface BuildOptions {
  kerasVersion: KerasVersion;
  semantics: ImportSemantics;
  lambdas: Record<string, LambdaFn>;
  /** Weight and layer-output size limits. Default `DEFAULT_LIMITS`. */
  limits?: Limits;
  /**
   * Initialize weights with zeros instead of running Keras' initializers (TF.js'
   * `fastWeightInitDuringBuild`): for loads whose weights are overwritten from the file right away.
   * Default false.
   */
  fastInit?: boolean;
  /** The weights the file stores, by layer name (see `BuildContext.storedWeights`). */
  storedWeights?: (layer: string) => readonly WeightArray[] | undefined;
}

/**
 * Stage three: build a TF.js model from the normalized graph. Every weight's shape is checked
 * against `maxTensorElements` and the running total against `maxParams` before TF.js allocates it;
 * every layer output with known dimensions against `maxTensorElements`. Any failure is a
 * `ImporterError` naming the layer.
 */
export function buildModel(graph: ModelGraph, opts: BuildOptions): BuiltModel {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const guard = guardWeights(limits, opts.fastInit ?? false);
  try {
    return buildUnguarded(graph, opts, guard);
  } catch (e) {
    // Layers built before the failure hold weights nobody else can reach: free them.
    for (const v of guard.created) {
      try {
        v.dispose();
      } catch {
        // already disposed
      }
    }
    if (e instanceof ImporterError) throw e;
    const where = guard.layer ? `layer '${guard.layer}'` : `model '${graph.name}'`;
    throw internalError(`building the model at ${where}`, e);
  } finally {
    guard.restore();
  }
}

type AddWeight = (this: tf.layers.Layer, name: string, shape: tf.Shape, ...rest: unknown[]) => tf.LayerVariable;

/**
 * While a model is built, TF.js layers allocate their weights through `Layer.prototype.addWeight`;
 * this wraps it (restored afterwards) to check each shape from the config before allocating, and
 * records the weights made so that a build failing halfway can free them.
 */
function guardWeights(
  limits: Limits,
  fastInit: boolean,
): { layer: string | null; created: tf.LayerVariable[]; restore(): void } {
  const proto = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = proto.addWeight;
  let total = 0;
  const state = {
    layer: null as string | null,
    created: [] as tf.LayerVariable[],
    restore: () => {
      proto.addWeight = original;
    },
  };
  proto.addWeight = function (this: tf.layers.Layer, name, shape, ...rest) {
    const what = `Layer '${state.layer ?? this.name}' weight '${name}' ${JSON.stringify(shape)}`;
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
      fail(
        'UNSUPPORTED_CONFIG',
        `${what} has an invalid shape: its config gives a negative, fractional or unknown size.`,
      );
    }
    const size = shape.reduce((a: number, d) => a * (d as number), 1);
    if (size > limits.maxTensorElements) exceedLimit('maxTensorElements', limits, `${what} (elements)`, size);
    total += size;
    if (total > limits.maxParams)
      exceedLimit(
        'maxParams',
        limits,
        `The number of weight values declared by the config (counted up to ${what})`,
        total,
      );
    const layer = this as unknown as { fastWeightInitDuringBuild?: boolean };
    const before = layer.fastWeightInitDuringBuild;
    if (fastInit) layer.fastWeightInitDuringBuild = true;
    try {
      const v = original.call(this, name, shape, ...rest);
      state.created.push(v);
      return v;
    } finally {
      layer.fastWeightInitDuringBuild = before;
    }
  };
  return state;
}

function buildUnguarded(graph: ModelGraph, opts: BuildOptions, guard: { layer: string | null }): BuiltModel {
  const ctx: BuildContext = {
    kerasVersion: opts.kerasVersion,
    semantics: opts.semantics,
    lambdas: opts.lambdas,
    storedWeights: opts.storedWeights,
    activation: (a: unknown, where?: string) => activationFor(a, opts.kerasVersion, where),
    buildLayer: (json: KerasLayerJson) => {
      if (isModelJson(json))
        fail('UNSUPPORTED_CONFIG', `A model nested inside a wrapper layer ('${json.config?.name}') is not supported.`);
      return portFor(json.class_name, json.config, json).build(json.config, ctx);
    },
  };
  return buildGraph(graph, opts, ctx, guard);
}

function buildGraph(
  graph: ModelGraph,
  opts: BuildOptions,
  ctx: BuildContext,
  guard: { layer: string | null },
): BuiltModel {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const outputs = new Map<string, tf.SymbolicTensor[][]>(); // layer → node → tensors
  const built: BuiltLayer[] = [];
  const inputs: tf.SymbolicTensor[] = [];
  const byName = new Map(graph.layers.map((l) => [l.name, l]));

  for (const gl of graph.layers) {
    if (gl.className === 'InputLayer') {
      guard.layer = gl.name;
      let input: tf.SymbolicTensor;
      try {
        input = tf.input({
          batchShape: gl.batchShape as number[],
          dtype: (gl.dtype ?? 'float32') as tf.DataType,
          name: gl.name,
        });
      } catch (e) {
        return fail(
          'UNSUPPORTED_CONFIG',
          `InputLayer '${gl.name}' with batch shape ${JSON.stringify(gl.batchShape)?.slice(0, 80)} could not be created: ${(e as Error).message}`,
          e,
        );
      }
      outputs.set(gl.name, [[input]]);
      inputs.push(input);
      built.push({
        name: gl.name,
        className: gl.className,
        layer: input.sourceLayer,
        port: null,
        graphLayer: gl,
      });
    }
  }

  const layerObjects = new Map<string, BuiltLayer>();
  const pending = graph.layers
    .filter((l) => l.className !== 'InputLayer')
    .flatMap((gl) => gl.calls.map((call, node) => ({ gl, call, node })));
  const layersWithoutCalls = graph.layers.filter((l) => l.className !== 'InputLayer' && l.calls.length === 0);
  for (const gl of layersWithoutCalls) instantiate(gl);

  function instantiate(gl: GraphLayer): BuiltLayer {
    let b = layerObjects.get(gl.name);
    if (b) return b;
    guard.layer = gl.name;
    if (gl.nested) {
      const nested = buildGraph(gl.nested, opts, ctx, guard);
      b = {
        name: gl.name,
        className: gl.className,
        layer: nested.model,
        port: null,
        graphLayer: gl,
        nested,
      };
    } else {
      const port = portFor(gl.className, gl.config, gl.json);
      let layer: tf.layers.Layer;
      try {
        layer = port.build(gl.config, ctx);
      } catch (e) {
        if (e instanceof ImporterError) throw e;
        return fail(
          'UNSUPPORTED_CONFIG',
          `Layer '${gl.name}' (${gl.className}) could not be created from its config: ${(e as Error).message}`,
          e,
        );
      }
      b = { name: gl.name, className: gl.className, layer, port, graphLayer: gl };
    }
    layerObjects.set(gl.name, b);
    built.push(b);
    return b;
  }

  const lookup = (ref: TensorRef): tf.SymbolicTensor | undefined => outputs.get(ref.layer)?.[ref.node]?.[ref.tensor];

  // Keras lists layers in creation order, which is not always call order (shared layers): apply
  // each call once all its inputs exist, and stop when a pass makes no progress (a cycle or a
  // reference to nothing).
  let queue = pending;
  while (queue.length) {
    const next: typeof queue = [];
    for (const item of queue) {
      let ins = item.call.inputs.map(lookup);
      const masks = (item.call.masks ?? []).map((m) => (m ? lookup(m) : null));
      if (ins.some((t) => !t) || masks.some((m) => m === undefined)) {
        next.push(item);
        continue;
      }
      // A later node of a layer must wait for its earlier nodes so node indices line up.
      const done = outputs.get(item.gl.name) ?? [];
      if (done.length !== item.node) {
        next.push(item);
        continue;
      }
      const b = instantiate(item.gl);
      guard.layer = item.gl.name;
      if (isCallBound(b.layer)) b.layer.bindCall(item.node, item.call.template);
      // An explicit mask= reaches the layer the way TF.js passes masks: on its input tensor.
      if (masks.some((m) => m))
        ins = ins.map((t, i) =>
          masks[i]
            ? (new KerasMaskAttach({ name: `${item.gl.name}__mask_${item.node}_${i}` }).apply([
                t as tf.SymbolicTensor,
                masks[i] as tf.SymbolicTensor,
              ]) as tf.SymbolicTensor)
            : t,
        );
      const arg = ins.length === 1 && !item.call.listInput ? ins[0] : ins;
      const kwargs: Record<string, unknown> = { ...item.call.kwargs };
      if (item.call.tensorKwargNames.length) kwargs.tensorKwargNames = item.call.tensorKwargNames;
      let out: tf.SymbolicTensor | tf.SymbolicTensor[];
      try {
        out = b.layer.apply(arg as tf.SymbolicTensor[], kwargs) as tf.SymbolicTensor | tf.SymbolicTensor[];
      } catch (e) {
        if (e instanceof ImporterError) throw e;
        const shapes = (ins as tf.SymbolicTensor[]).map((t) => JSON.stringify(t!.shape)).join(', ');
        return fail(
          'UNSUPPORTED_CONFIG',
          `Layer '${item.gl.name}' (${item.gl.className}) cannot be applied to inputs of shape ${shapes}: ${(e as Error).message}`,
          e,
        );
      }
      const outList = Array.isArray(out) ? out : [out];
      for (const t of outList) checkOutputShape(item.gl, t, limits);
      done.push(outList);
      outputs.set(item.gl.name, done);
    }
    if (next.length === queue.length) {
      const stuck = next[0];
      const missing = [...stuck.call.inputs, ...(stuck.call.masks ?? []).filter((m): m is TensorRef => !!m)]
        .filter((r) => !lookup(r))
        .map((r) => `${r.layer}[${r.node}][${r.tensor}]`);
      const known = missing.every((m) => byName.has(m.split('[')[0]));
      fail(
        'UNSUPPORTED_CONFIG',
        `The layer graph cannot be built: layer '${stuck.gl.name}' needs ${missing.join(', ')}, which ${known ? 'depends on it in a cycle or does not exist at that node' : 'is not a layer of the model'}; Keras does not write such graphs.`,
      );
    }
    queue = next;
  }

  const outs = graph.outputs.map((r) => {
    const t = lookup(r);
    if (!t)
      fail(
        'UNSUPPORTED_CONFIG',
        `Model output ${r.layer}[${r.node}][${r.tensor}] is never computed: layer '${r.layer}' has no call ${r.node} or no output ${r.tensor}.`,
      );
    return t;
  });
  let model: tf.LayersModel;
  try {
    model = tf.model({ inputs, outputs: outs, name: graph.name });
  } catch (e) {
    throw internalError(`assembling the TF.js model '${graph.name}'`, e);
  }
  // Keep Keras' layer order (creation order) for summaries and weight loading.
  const order = new Map(graph.layers.map((l, i) => [l.name, i]));
  built.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return { model, graph, layers: built };
}

/** A layer output's known dimensions must be valid sizes whose product is within `maxTensorElements`. */
function checkOutputShape(gl: GraphLayer, t: tf.SymbolicTensor, limits: Limits): void {
  const shape = (t as { shape?: unknown })?.shape;
  if (!Array.isArray(shape))
    fail('UNSUPPORTED_CONFIG', `Layer '${gl.name}' (${gl.className}) produced no tensor for its output.`);
  let size = 1;
  for (const d of shape) {
    if (d === null) continue;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${gl.name}' (${gl.className}) computes an invalid output shape ${JSON.stringify(shape)} from its config (negative or fractional sizes); Keras does not write such configs.`,
      );
    }
    size *= d;
  }
  if (size > limits.maxTensorElements)
    exceedLimit(
      'maxTensorElements',
      limits,
      `The output of layer '${gl.name}' (${gl.className}) ${JSON.stringify(shape)} (elements per batch)`,
      size,
    );
}

export { normalizeModel };
