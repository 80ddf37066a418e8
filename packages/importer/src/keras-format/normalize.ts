import { fail } from '../errors.ts';
import { DEFAULT_LIMITS, exceedLimit, type Limits } from '../limits.ts';
import type { GraphLayer, ModelGraph, TensorRef } from './graph.ts';
import { upgradeKeras1Layer } from './keras1.ts';
import { parseNode } from './nodes.ts';
import type { KerasLayerConfig, KerasLayerJson, KerasModelJson, KerasShape } from './types.ts';

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Whether a layer JSON is itself a model (nested Sequential/Functional). */
export function isModelJson(json: { class_name?: unknown }): boolean {
  return typeof json.class_name === 'string' && MODEL_CLASSES.has(json.class_name);
}

/**
 * Parse any Keras producer's model config into the normalized `ModelGraph` — stage two of
 * read file → parse config → build model → load weights. `inputShape` (with batch) is used for
 * Sequential models that never recorded one.
 */
export function normalizeModel(
  json: KerasModelJson,
  inputShape?: KerasShape,
  limits: Limits = DEFAULT_LIMITS,
): ModelGraph {
  checkConfigSize(json, limits);
  return normalizeChecked(json, inputShape, limits);
}

/**
 * Nesting depth and layer count of a config, measured iteratively before anything recurses into
 * it (a hostile config nested 100 000 deep would otherwise overflow the stack).
 */
function checkConfigSize(json: unknown, limits: Limits): void {
  const stack: [unknown, number][] = [[json, 1]];
  let layers = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > limits.maxConfigDepth)
      exceedLimit(
        'maxConfigDepth',
        limits,
        'The nesting depth of the model config (arrays and objects)',
        depth,
        'Keras configs nest about 10 deep.',
      );
    const children = Array.isArray(v) ? v : Object.values(v);
    if (!Array.isArray(v) && typeof (v as { class_name?: unknown }).class_name === 'string' && 'config' in v) {
      layers += 1;
      if (layers > limits.maxLayers)
        exceedLimit(
          'maxLayers',
          limits,
          'The number of layers (and nested objects with a class_name) in the model config',
          layers,
        );
    }
    for (const c of children) if (c && typeof c === 'object') stack.push([c, depth + 1]);
  }
}

function normalizeChecked(json: KerasModelJson, inputShape: KerasShape | undefined, limits: Limits): ModelGraph {
  if (!json || typeof json !== 'object' || typeof json.class_name !== 'string') {
    fail(
      'NOT_KERAS',
      `The model config is not a Keras model config (expected {"class_name": …, "config": …}, found ${JSON.stringify(json)?.slice(0, 80)}).`,
    );
  }
  if (!json.config || typeof json.config !== 'object') {
    fail(
      'CORRUPT_FILE',
      `The ${json.class_name} model config has no "config" object (found ${JSON.stringify(json.config)?.slice(0, 80)}).`,
    );
  }
  if (json.class_name === 'Sequential') return normalizeSequential(json, inputShape, limits);
  if (json.class_name === 'Functional' || json.class_name === 'Model') return normalizeFunctional(json, limits);
  return fail(
    'UNSUPPORTED_CONFIG',
    `The model class '${json.class_name}' is not supported: Keraspect reads Sequential and functional (Model/Functional) models. A subclassed Keras model has no architecture in the file; rebuild it as a functional model, or load its weights with --weights and an architecture from model.to_json().`,
  );
}

function normalizeSequential(json: KerasModelJson, inputShape: KerasShape | undefined, limits: Limits): ModelGraph {
  const cfg = json.config;
  // Keras ≤ 2.1 stores the layer list directly.
  const layersJson = (Array.isArray(cfg) ? cfg : (cfg.layers as KerasLayerJson[] | undefined)) ?? [];
  const name = Array.isArray(cfg) ? 'sequential' : String(cfg.name ?? 'sequential');
  if (!Array.isArray(layersJson))
    fail('CORRUPT_FILE', `Sequential model '${name}' has no list of layers in its config.`);
  const layers: GraphLayer[] = [];
  let body = layersJson.map(checkLayerJson);
  if (body.filter((l) => l.class_name !== 'InputLayer').length === 0)
    fail(
      'UNSUPPORTED_CONFIG',
      `Sequential model '${name}' has no layers${body.length ? ' besides its InputLayer' : ''}: there is nothing to run. Save the model after adding its layers.`,
    );
  let input: GraphLayer;
  if (body[0]?.class_name === 'InputLayer') {
    input = inputLayer(body[0], limits);
    body = body.slice(1);
  } else {
    const first = body[0];
    const shape =
      inputShapeOf(first?.config) ??
      (!Array.isArray(cfg) && Array.isArray(cfg.build_input_shape)
        ? (cfg.build_input_shape as KerasShape)
        : undefined) ??
      (first?.build_config?.input_shape as KerasShape | undefined) ??
      inputShape;
    if (!shape) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Sequential model '${name}' records no input shape (its first layer '${first?.config?.name}' has no batch_input_shape). Pass the input shape, e.g. { inputShape: [null, 240, 4] }.`,
      );
    }
    checkBatchShape(shape, `The input shape of Sequential model '${name}'`, limits);
    const dtype = typeof first?.config?.dtype === 'string' ? (first.config.dtype as string) : 'float32';
    input = {
      className: 'InputLayer',
      name: `${first?.config?.name ?? name}_input`,
      config: { name: `${first?.config?.name ?? name}_input` },
      calls: [],
      json: { class_name: 'InputLayer', config: { name: `${first?.config?.name ?? name}_input` } },
      batchShape: shape,
      dtype: dtype === 'int32' || dtype === 'int64' ? 'int32' : 'float32',
    };
  }
  layers.push(input);
  let prev: TensorRef = { layer: input.name, node: 0, tensor: 0 };
  for (const lj of body) {
    const layer = graphLayer(lj, limits);
    layer.calls = [
      {
        inputs: [prev],
        tensorKwargNames: [],
        kwargs: {},
        listInput: false,
        template: { args: [{ tensor: 0 }], kwargs: {} },
      },
    ];
    layers.push(layer);
    prev = { layer: layer.name, node: 0, tensor: 0 };
  }
  return {
    name,
    className: 'Sequential',
    layers,
    inputs: [{ layer: input.name, node: 0, tensor: 0 }],
    outputs: [prev],
  };
}

function normalizeFunctional(json: KerasModelJson, limits: Limits): ModelGraph {
  const cfg = json.config as Record<string, unknown>;
  const name = String(cfg.name ?? 'model');
  if (!Array.isArray(cfg.layers)) fail('CORRUPT_FILE', `Model '${name}' has no list of layers in its config.`);
  const layers = (cfg.layers as unknown[]).map((l) => {
    const lj = checkLayerJson(l);
    if (lj.class_name === 'InputLayer') return inputLayer(lj, limits);
    const gl = graphLayer(lj, limits);
    gl.calls = (lj.inbound_nodes ?? []).map((node) => parseNode(node, gl.name));
    return gl;
  });
  const names = new Set(layers.map((l) => l.name));
  const refs = (v: unknown, what: string) =>
    refList(v, what, name).map((r) => {
      if (!names.has(r.layer))
        fail('CORRUPT_FILE', `Model '${name}' lists ${what} '${r.layer}', which is not one of its layers.`);
      return r;
    });
  const graph: ModelGraph = {
    name,
    className: json.class_name,
    layers,
    inputs: refs(cfg.input_layers, 'input'),
    outputs: refs(cfg.output_layers, 'output'),
  };
  renumberNestedCalls(graph);
  checkCalls(name, layers);
  return graph;
}

/**
 * References to a nested model's calls that count them from 1, one down (`TensorRef.node` counts
 * calls from 0). A nested model's node 0 links its own Input to its output and is left out of the
 * outer graph (`kept_nodes = 1` in get_config):
 * - Keras 1/2 and tf.keras count from 1 wherever the outer config refers to the model
 *   (`_should_skip_first_node` and `get_node_index` in from_config). A config that refers to node 0
 *   of a nested model (which Keras never writes) numbers its calls from 0 and is read as written.
 * - Keras 3 (`{args, kwargs}` nodes) does so only in `input_layers`/`output_layers`, and only for a
 *   nested functional model (`functional_from_config` takes the 1 off again); inbound nodes'
 *   `keras_history` count from 0 as for any layer, and a nested Sequential counts from 0.
 */
function renumberNestedCalls(graph: ModelGraph): void {
  const keras2 = graph.layers.some(
    (l) => Array.isArray(l.json.inbound_nodes) && l.json.inbound_nodes.some(Array.isArray),
  );
  if (!keras2) {
    const byName = new Map(graph.layers.map((l) => [l.name, l]));
    for (const r of [...graph.inputs, ...graph.outputs])
      if (countsFromOne(byName.get(r.layer)) && r.node > 0) r.node -= 1;
    return;
  }
  const all = [
    ...graph.layers.flatMap((l) => l.calls.flatMap((c) => [...c.inputs, ...(c.masks ?? [])])),
    ...graph.inputs,
    ...graph.outputs,
  ].filter((r): r is TensorRef => !!r);
  const fromZero = new Set(all.filter((r) => r.node === 0).map((r) => r.layer));
  const shifted = new Set(graph.layers.filter((l) => l.nested && !fromZero.has(l.name)).map((l) => l.name));
  for (const r of new Set(all)) if (shifted.has(r.layer)) r.node -= 1;
}

/** Whether a layer of a Keras 3 graph is a nested functional model (told by its `{args, kwargs}` nodes). */
function countsFromOne(layer: GraphLayer | undefined): boolean {
  if (!layer?.nested || layer.className !== 'Functional') return false;
  const first = (layer.json.inbound_nodes ?? [])[0];
  return !!first && typeof first === 'object' && !Array.isArray(first) && 'args' in first;
}

/**
 * Every call must use layers of the model, and no call may depend on itself (through the calls it
 * uses): Keras never writes either, so the config is corrupt. Checked on calls (layer, node), so a
 * layer shared at several depths is fine.
 */
function checkCalls(model: string, layers: GraphLayer[]): void {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const key = (layer: string, node: number) => `${layer}\u0000${node}`;
  const deps = new Map<string, string[]>();
  for (const l of layers) {
    l.calls.forEach((call, node) => {
      const refs = [...call.inputs, ...(call.masks ?? []).filter((m): m is TensorRef => !!m)];
      for (const r of refs)
        if (!byName.has(r.layer))
          fail(
            'CORRUPT_FILE',
            `Model '${model}': layer '${l.name}' is called on '${r.layer}', which is not one of its layers.`,
          );
      deps.set(
        key(l.name, node),
        refs.filter((r) => byName.get(r.layer)?.className !== 'InputLayer').map((r) => key(r.layer, r.node)),
      );
    });
  }
  // Depth-first, iteratively: a call reached again while still on the path closes a cycle.
  const state = new Map<string, 1 | 2>();
  for (const start of deps.keys()) {
    if (state.has(start)) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = deps.get(top[0])?.[top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        const [from, fromNode] = top[0].split('\u0000');
        const [to, toNode] = next.split('\u0000');
        fail(
          'CORRUPT_FILE',
          `Model '${model}': layer '${from}' (call ${fromNode}) needs ${to}[${toNode}], which depends on it in a cycle. Keras never writes such a graph; the config is corrupt.`,
        );
      } else if (!state.has(next) && deps.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
}

/** `[[name, 0, 0], …]`, or a single `[name, 0, 0]` (Keras 3 with one input), or a dict of them. */
function refList(v: unknown, what: string, model: string): TensorRef[] {
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number') return [toRef(v)];
  if (Array.isArray(v)) return v.map((x) => toRef(x));
  if (v && typeof v === 'object') return Object.values(v).flatMap((x) => refList(x, what, model));
  return fail('CORRUPT_FILE', `Model '${model}' has no valid ${what}_layers list.`);
}

function toRef(v: unknown): TensorRef {
  if (Array.isArray(v) && typeof v[0] === 'string')
    return { layer: v[0], node: Number(v[1] ?? 0), tensor: Number(v[2] ?? 0) };
  return fail(
    'CORRUPT_FILE',
    `Expected a tensor reference [layer, node, tensor], found ${JSON.stringify(v)?.slice(0, 80)}.`,
  );
}

function checkLayerJson(v: unknown): KerasLayerJson {
  const lj = v as KerasLayerJson;
  if (
    !lj ||
    typeof lj !== 'object' ||
    typeof lj.class_name !== 'string' ||
    !lj.config ||
    typeof lj.config !== 'object'
  ) {
    fail(
      'CORRUPT_FILE',
      `A layer entry of the model config is malformed (expected {"class_name": …, "config": …}, found ${JSON.stringify(v)?.slice(0, 80)}).`,
    );
  }
  if (typeof lj.config.name !== 'string' && !isModelJson(lj)) {
    lj.config.name = String(lj.name ?? '');
  }
  return upgradeKeras1Layer(lj);
}

function graphLayer(lj: KerasLayerJson, limits: Limits): GraphLayer {
  const config = (
    isModelJson(lj) && Array.isArray(lj.config)
      ? { name: String(lj.name ?? 'sequential'), layers: lj.config }
      : lj.config
  ) as KerasLayerConfig;
  const name = String(lj.name ?? config.name);
  const gl: GraphLayer = { className: lj.class_name, name, config: { ...config, name }, calls: [], json: lj };
  if (isModelJson(lj))
    gl.nested = normalizeChecked(
      { class_name: lj.class_name, config: config as Record<string, unknown> },
      undefined,
      limits,
    );
  return gl;
}

function inputShapeOf(config: KerasLayerConfig | undefined): KerasShape | undefined {
  if (!config) return undefined;
  if (Array.isArray(config.batch_shape)) return config.batch_shape as KerasShape;
  if (Array.isArray(config.batch_input_shape)) return config.batch_input_shape as KerasShape;
  if (Array.isArray(config.input_shape)) return [null, ...(config.input_shape as KerasShape)];
  if (typeof config.input_dim === 'number' && config.input_length === undefined) return [null, config.input_dim];
  return undefined;
}

function inputLayer(lj: KerasLayerJson, limits: Limits): GraphLayer {
  const name = String(lj.config.name ?? lj.name);
  const shape =
    inputShapeOf(lj.config) ??
    (Array.isArray(lj.config.shape) ? [null, ...(lj.config.shape as KerasShape)] : undefined);
  if (!shape) fail('CORRUPT_FILE', `InputLayer '${name}' has no batch_shape/batch_input_shape in its config.`);
  checkBatchShape(shape, `InputLayer '${name}' batch_shape`, limits);
  const dtype = typeof lj.config.dtype === 'string' ? lj.config.dtype : 'float32';
  return {
    className: 'InputLayer',
    name,
    config: lj.config,
    calls: [],
    json: lj,
    batchShape: shape,
    dtype: /int/.test(dtype) ? 'int32' : 'float32',
  };
}

/**
 * An input shape as written must be a list of `null` (unknown) or non-negative integers whose known
 * dimensions multiply to at most `maxTensorElements`.
 */
function checkBatchShape(shape: unknown, what: string, limits: Limits): asserts shape is KerasShape {
  if (!Array.isArray(shape) || shape.length === 0)
    fail(
      'UNSUPPORTED_CONFIG',
      `${what} must be a non-empty list of dimensions, found ${JSON.stringify(shape)?.slice(0, 80)}.`,
    );
  let size = 1;
  for (const [i, d] of shape.entries()) {
    if (d === null) continue;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(
        'UNSUPPORTED_CONFIG',
        `${what} ${JSON.stringify(shape).slice(0, 80)} has an invalid dimension ${JSON.stringify(d)?.slice(0, 20)} at axis ${i}; dimensions are null or non-negative integers.`,
      );
    }
    size *= d;
  }
  if (size > limits.maxTensorElements)
    exceedLimit(
      'maxTensorElements',
      limits,
      `${what} ${JSON.stringify(shape).slice(0, 80)} (elements per input row and batch)`,
      size,
    );
}
