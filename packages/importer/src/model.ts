import type * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { type BuiltModel, buildModel } from './build.ts';
import { fail, internalError, ImporterError } from './errors.ts';
import { type Limits, resolveLimits } from './limits.ts';
import { normalizeModel } from './keras-format/normalize.ts';
import type { TensorRef } from './keras-format/graph.ts';
import type { KerasLayerJson, KerasModelJson, KerasShape } from './keras-format/types.ts';
import type { GeluVariant, ImportSemantics, KerasVersion, LambdaFn, SelfAttentionVariant } from './layers/port.ts';
import { isAttentionSource } from './layers/capabilities.ts';
import { type KerasArtifact, type KerasFileFormat, parseVersion, readKerasFile } from './read/keras-file.ts';
import { type ModelWarning, modelWarnings } from './warnings.ts';
import { loadWeights } from './weights.ts';

/** Options of `loadModel`. */
export interface ImportOptions {
  /**
   * A weights-only file (`save_weights` `.h5` or Keras 3 `.weights.h5`) to load instead of the
   * weights in the main file; the main file (or `architecture`) then only gives the architecture.
   */
  weights?: Uint8Array;
  /** The architecture as `model.to_json()` text or parsed JSON, for weights-only main files. */
  architecture?: string | KerasModelJson;
  /** TF.js functions standing in for `Lambda` layers, by layer name. Python code is never run. */
  lambdas?: Record<string, LambdaFn>;
  /** keras-self-attention formula for `SeqSelfAttention`, `SeqWeightedAttention`, `ScaledDotProductAttention` and keras-multi-head's `MultiHeadAttention` (see docs/keras-self-attention.md). Default `'current'`. */
  selfAttentionVariant?: SelfAttentionVariant;
  /**
   * What keras-position-wise-feed-forward's `FeedForward` means by `activation: 'gelu'`: `'tanh'`
   * (keras-transformer's gelu, its default) or `'erf'` (Keras' own, tf.keras 2.4+). Unset: `'tanh'`,
   * with a `GELU_VARIANT` warning for files of Keras versions that had their own gelu.
   */
  geluVariant?: GeluVariant;
  /** Input shape with batch (`[null, 240, 4]`) for Sequential models that never recorded one. */
  inputShape?: KerasShape;
  /** Keras version to assume when the file does not say (decides e.g. `hard_sigmoid`). */
  kerasVersion?: string;
  /**
   * Resource limits for untrusted files (file size, zip entries, parameter and tensor sizes,
   * config depth, read time, attention memory at predict time); any subset, the rest keep
   * `DEFAULT_LIMITS`. See `Limits` and SECURITY.md.
   */
  limits?: Partial<Limits>;
}

/** One row of the Keras-style summary. */
export interface SummaryRow {
  name: string;
  className: string;
  /** Output shape(s) with `null` for the batch, one entry per output tensor. */
  outputShapes: (number | null)[][];
  params: number;
  /** `layer[node][tensor]` names this layer is called on. */
  inbound: string[];
}

/**
 * One layer of a loaded model, as the importer publishes it: what `explain` and the CLI may rely on.
 * Read the TF.js layer through TF.js' own `Layer` API and the capability interfaces
 * (`isAttentionSource`, `isRecurrentSource`, `isActivated`, `isWrapper`, `isBidirectionalWrapper`),
 * never through its fields: those are the layer's own business and change without notice.
 */
export interface LayerInfo {
  /** Keras layer name. */
  readonly name: string;
  /** Keras class name as written in the file, e.g. `'LSTM'`, `'SeqSelfAttention'`, `'InputLayer'`. */
  readonly className: string;
  /** For `Bidirectional` and `TimeDistributed`: the Keras class of the wrapped layer, e.g. `'GRU'`. */
  readonly innerClassName?: string;
  /**
   * The TF.js layer (for a nested model: its `tf.LayersModel`). Its calls in the graph, as symbolic
   * tensors for `runGraph`, come from `callsOf`/`lastCallOf`.
   */
  readonly layer: tf.layers.Layer;
  /** What each call of the layer is applied to, as Keras writes it: `inbound[call][i]` = {layer, node, tensor}. */
  readonly inbound: readonly (readonly TensorRef[])[];
  /** For a nested model: its own layers. */
  readonly nested?: readonly LayerInfo[];
}

/** A Keras model loaded into TF.js, with what the file said about it. */
export interface KerasModel {
  /** The TF.js model; run it with `predict` below or `model.predict`/`model.apply`. */
  readonly model: tf.LayersModel;
  readonly name: string;
  readonly format: KerasFileFormat;
  readonly kerasVersion: KerasVersion;
  /** Which software wrote the file, e.g. `"Keras 2.2.4"`, `"tf.keras 2.10.0"`, `"Keras 3.9.2"`. */
  readonly producer: string;
  /** The original Keras model config (snake_case, verbatim), as used by exports. */
  readonly modelConfig: KerasModelJson;
  /** Input shapes with `null` for unknown dimensions, one per model input. */
  readonly inputShapes: (number | null)[][];
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Names of layers that compute attention weights (readable with explain's `attentionMaps`). */
  readonly attentionLayers: string[];
  /** Keras-style summary rows, one per layer, in Keras' layer order. */
  summary(): SummaryRow[];
  /** Total parameter count as Keras reports it (trainable and non-trainable). */
  paramsTotal(): number;
  /** The model's layers in Keras' order (as in `summary()`); nested models carry their own in `nested`. */
  readonly layers: readonly LayerInfo[];
  /** The TF.js layer made for a Keras layer name (nested models' layers included). */
  layer(name: string): tf.layers.Layer;
  /** Keras weights per layer name, as in the file (for exports). */
  readonly kerasWeights: KerasArtifact['weights'];
  /** The limits the model was loaded with; predict-time checks (attention memory) use them too. */
  readonly limits: Limits;
  /** What a user is likely to get wrong about this file (e.g. which keras-self-attention variant to pass). */
  readonly warnings: readonly ModelWarning[];
  /** Free the model's tensors. */
  dispose(): void;
}

/**
 * Load a Keras model from file bytes: legacy `.h5` (Keras 1/2, tf.keras, Keras 3), `.keras` zip,
 * or a weights-only file with `options.architecture`. Initializes the compute backend first.
 */
export async function loadModel(bytes: Uint8Array, options: ImportOptions = {}): Promise<KerasModel> {
  const limits = resolveLimits(options.limits);
  await initBackend();
  const main = await readKerasFile(bytes, 'The file', limits);
  const weightsSource = options.weights ? await readKerasFile(options.weights, 'The weights file', limits) : main;
  let config = main.modelConfig;
  if (options.architecture !== undefined) {
    config = typeof options.architecture === 'string' ? parseArchitecture(options.architecture) : options.architecture;
  }
  if (!config) {
    fail(
      'NOT_KERAS',
      'This is a weights-only file: it has weights but no architecture. Give the architecture as well: the full model file, or the JSON text of model.to_json() — loadModel(fullModelBytes, { weights }) or loadModel(thisFile, { architecture }); on the command line keraspect <command> MODEL.h5 --weights THIS_FILE or keraspect <command> ARCHITECTURE.json --weights THIS_FILE.',
    );
  }
  const graph = stage('reading the model config', () => normalizeModel(config, options.inputShape, limits));
  const kerasVersion = options.kerasVersion
    ? parseVersion(options.kerasVersion, 2)
    : pickVersion(main, weightsSource, config);
  const semantics = semanticsOf(options);
  // Every weight is overwritten from the file, so Keras' (random) initializers need not run.
  const built = buildModel(graph, {
    kerasVersion,
    semantics,
    lambdas: options.lambdas ?? {},
    limits,
    fastInit: true,
    storedWeights: (layer) => weightsSource.weights.get(layer),
  });
  try {
    stage('loading the weights into the model', () => loadWeights(built, weightsSource, { kerasVersion, semantics }));
  } catch (e) {
    built.model.dispose();
    throw e;
  }
  const warnings = modelWarnings(graph, semantics.selfAttentionVariant, {
    geluVariant: semantics.geluVariant,
    kerasVersion,
  });
  return wrap(built, main, weightsSource, config, kerasVersion, limits, warnings);
}

function semanticsOf(options: Pick<ImportOptions, 'selfAttentionVariant' | 'geluVariant'>): ImportSemantics {
  return { selfAttentionVariant: options.selfAttentionVariant ?? 'current', geluVariant: options.geluVariant };
}

/**
 * Run one stage of the pipeline; anything but an `ImporterError` escaping it is a Keraspect bug and
 * becomes an `INTERNAL` error that says so (only the reader may call a file corrupt), keeping the cause.
 */
function stage<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    throw internalError(what, e);
  }
}

/**
 * Build a model from a Keras config alone, with zero weights — for programs that make models (the
 * bundled example is built this way, trained in TF.js and saved with `toKerasH5`).
 */
export async function modelFromConfig(
  config: KerasModelJson,
  options: Omit<ImportOptions, 'weights' | 'architecture'> & { kerasVersion?: string } = {},
): Promise<KerasModel> {
  const limits = resolveLimits(options.limits);
  await initBackend();
  const kerasVersion = parseVersion(options.kerasVersion ?? '2.3.1', 2);
  const semantics = semanticsOf(options);
  const graph = stage('reading the model config', () => normalizeModel(config, options.inputShape, limits));
  const built = buildModel(graph, { kerasVersion, semantics, lambdas: options.lambdas ?? {}, limits });
  const none: KerasArtifact = { format: 'h5', kerasVersion, backend: null, modelConfig: config, weights: new Map() };
  return wrap(
    built,
    none,
    none,
    config,
    kerasVersion,
    limits,
    modelWarnings(graph, semantics.selfAttentionVariant, { geluVariant: semantics.geluVariant, kerasVersion }),
  );
}

function parseArchitecture(text: string): KerasModelJson {
  try {
    return JSON.parse(text) as KerasModelJson;
  } catch (e) {
    return fail(
      'NOT_KERAS',
      `The architecture is not valid JSON (${(e as Error).message}); pass the text of model.to_json().`,
      e,
    );
  }
}

function pickVersion(main: KerasArtifact, weights: KerasArtifact, config: KerasModelJson): KerasVersion {
  if (main.kerasVersion.raw) return main.kerasVersion;
  if (weights.kerasVersion.raw) return weights.kerasVersion;
  if (typeof config.keras_version === 'string') return parseVersion(config.keras_version, 2);
  return main.kerasVersion;
}

/** "Keras 2.2.4", "tf.keras 2.10.0" or "Keras 3.9.2" from the version string. */
export function producerOf(v: KerasVersion, format: KerasFileFormat): string {
  if (!v.raw) return v.major >= 3 ? 'Keras 3' : 'Keras (version not recorded)';
  if (v.major >= 3) return `Keras ${v.raw}`;
  if (v.raw.endsWith('-tf') || (v.major === 2 && v.minor >= 4)) return `tf.keras ${v.raw}`;
  return `Keras ${v.raw}${format === 'h5' ? ' (standalone)' : ''}`;
}

function wrap(
  built: BuiltModel,
  main: KerasArtifact,
  weights: KerasArtifact,
  config: KerasModelJson,
  kerasVersion: KerasVersion,
  limits: Limits,
  warnings: readonly ModelWarning[],
): KerasModel {
  const model = built.model;
  const byName = new Map(built.layers.map((b) => [b.name, b]));
  const layers = layerInfos(built);
  const flat = flattenLayers(layers);
  const paramsOf = (name: string): number => {
    const b = byName.get(name);
    if (b?.nested) return b.nested.layers.reduce((n, l) => n + paramsOfBuilt(l.name, l.layer), 0);
    return paramsOfBuilt(name, b?.layer);
  };
  const paramsOfBuilt = (name: string, layer: tf.layers.Layer | undefined): number => {
    const fromFile = weights.weights.get(name);
    if (fromFile && fromFile.length) return fromFile.reduce((n, w) => n + w.data.length, 0);
    return (layer?.weights ?? []).reduce((n, w) => n + w.shape.reduce((a: number, d) => a * (d ?? 1), 1), 0);
  };
  const rows = (): SummaryRow[] =>
    built.layers.map((b) => ({
      name: b.name,
      className: b.className,
      outputShapes: outputShapes(b.layer),
      params: b.className === 'InputLayer' ? 0 : paramsOf(b.name),
      inbound: b.graphLayer.calls.flatMap((c) => c.inputs.map((r) => `${r.layer}[${r.node}][${r.tensor}]`)),
    }));
  const km: KerasModel = {
    model,
    name: built.graph.name,
    format: main.format,
    kerasVersion,
    producer: producerOf(kerasVersion, main.format),
    modelConfig: config,
    inputShapes: model.inputs.map((t) => t.shape),
    inputNames: model.inputs.map((t) => t.sourceLayer?.name ?? t.name),
    outputNames: built.graph.outputs.map((r) => r.layer),
    attentionLayers: flat.filter((b) => isAttentionSource(b.layer)).map((b) => b.name),
    summary: rows,
    paramsTotal: () => rows().reduce((n, r) => n + r.params, 0),
    layer(name: string) {
      const b = flat.find((l) => l.name === name);
      if (!b) fail('BAD_ARGUMENT', `No layer named '${name}'. Layers: ${flat.map((l) => l.name).join(', ')}.`);
      return b.layer;
    },
    layers,
    kerasWeights: weights.weights,
    limits,
    warnings,
    dispose: () => model.dispose(),
  };
  builds.set(km, built);
  return km;
}

/** Every layer, nested models' layers right after their model (depth first): the one walk over nested models. */
export function flattenLayers(layers: readonly LayerInfo[]): LayerInfo[] {
  return layers.flatMap((l) => (l.nested ? [l, ...flattenLayers(l.nested)] : [l]));
}

function layerInfos(built: BuiltModel): LayerInfo[] {
  return built.layers.map((b) => {
    const inner = (b.graphLayer.config as { layer?: KerasLayerJson }).layer;
    const wraps = (b.className === 'Bidirectional' || b.className === 'TimeDistributed') && inner?.class_name;
    return {
      name: b.name,
      className: b.className,
      ...(wraps ? { innerClassName: inner.class_name } : {}),
      layer: b.layer,
      inbound: b.graphLayer.calls.map((c) => c.inputs),
      ...(b.nested ? { nested: layerInfos(b.nested) } : {}),
    };
  });
}

const builds = new WeakMap<KerasModel, BuiltModel>();

/** The build record (ports, graph) of a model; internal to the importer (exports, weight loading, limits). */
export function builtOf(km: KerasModel): BuiltModel {
  const b = builds.get(km);
  if (!b) return fail('BAD_ARGUMENT', `Model '${km.name}' was not loaded by this copy of @keraspect/importer.`);
  return b;
}

function outputShapes(layer: tf.layers.Layer): (number | null)[][] {
  try {
    const s = layer.outputShape as unknown;
    if (Array.isArray(s) && Array.isArray(s[0])) return s as (number | null)[][];
    return [s as (number | null)[]];
  } catch {
    // Layers called more than once have no single output shape; report the first call's.
    const node = layer.inboundNodes[0];
    const s = node?.outputShapes as unknown;
    if (Array.isArray(s) && Array.isArray(s[0])) return s as (number | null)[][];
    return [s as (number | null)[]];
  }
}
