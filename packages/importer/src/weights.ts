import * as tf from '@tensorflow/tfjs';
import type { BuildContext, WeightArray } from './layers/port.ts';
import type { BuiltLayer, BuiltModel } from './build.ts';
import { fail } from './errors.ts';
import type { KerasArtifact } from './read/keras-file.ts';

/**
 * Stage four: put the file's weights into the built model, layer by layer in `weight_names` order,
 * checking count and shape of every weight. Returns the number of values loaded.
 */
export function loadWeights(
  built: BuiltModel,
  source: Pick<KerasArtifact, 'weights' | 'layerKeys'>,
  ctx: Pick<BuildContext, 'kerasVersion' | 'semantics'>,
): number {
  const { byName, hint } = resolveNames(built, source);
  let total = 0;
  for (const b of built.layers) total += loadLayer(b, byName.get(b.name), ctx as BuildContext, hint);
  return total;
}

/** Where weight groups are keyed by class, what a layer was looked up as and what the file has. */
type MissingHint = (layer: BuiltLayer) => string;

function loadLayer(b: BuiltLayer, found: WeightArray[] | undefined, ctx: BuildContext, hint?: MissingHint): number {
  const targets = b.layer.weights;
  if (b.nested) {
    if (!found || found.length === 0) {
      // Keras 3 files store nested models' weights under their inner layers' own names.
      let n = 0;
      for (const inner of b.nested.layers) n += loadLayer(inner, undefined, ctx, hint);
      return n;
    }
    let offset = 0;
    let n = 0;
    for (const inner of b.nested.layers) {
      const count = inner.layer.weights.length;
      n += loadLayer(inner, found.slice(offset, offset + count), ctx);
      offset += count;
    }
    return n;
  }
  if (targets.length === 0 && (!found || found.length === 0)) return 0;
  if (!found || found.length === 0) {
    return fail(
      'WEIGHT_MISMATCH',
      `Layer '${b.name}' (${b.className}) needs ${targets.length} weights (${describeTargets(targets)}) but the file has none for it. ` +
        (hint?.(b) ?? 'Check that the weights file belongs to this architecture (layer names must match).'),
    );
  }
  const converted = b.port?.convertWeights ? b.port.convertWeights(found, b.graphLayer.config, ctx) : found;
  const shapeOk =
    converted.length === targets.length && converted.every((w, i) => sameShape(w.shape, targets[i].shape));
  if (!shapeOk) {
    fail(
      'WEIGHT_MISMATCH',
      `Layer '${b.name}' (${b.className}) weights do not fit. Expected ${targets.length}: ${describeTargets(targets)}. ` +
        `Found ${found.length}: ${found.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ')}. ` +
        'Check that the weights file belongs to this architecture and that the layer config matches the one used when saving.',
    );
  }
  const tensors = converted.map((w, i) => tf.tensor(w.data, targets[i].shape as number[], 'float32'));
  try {
    b.layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
  return converted.reduce((n, w) => n + w.data.length, 0);
}

function describeTargets(targets: tf.LayerVariable[]): string {
  return targets.map((t) => `${t.originalName ?? t.name} ${JSON.stringify(t.shape)}`).join(', ');
}

function sameShape(a: number[], b: (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Weights by layer name. Keras 3 `.keras` files name each layer group by class (`dense_1`) with the
 * real name stored beside the vars; where that name is absent, groups are matched to layers by
 * Keras' own naming rule: snake_case class name plus a per-class counter, in layer order — and a
 * layer left without weights is told which key it was looked for as.
 */
function resolveNames(
  built: BuiltModel,
  source: Pick<KerasArtifact, 'weights' | 'layerKeys'>,
): { byName: Map<string, WeightArray[]>; hint?: MissingHint } {
  const byName = new Map(source.weights);
  const layerKeys = source.layerKeys;
  if (!layerKeys || layerKeys.every((k) => k.name)) return { byName };
  const keys = classKey(built);
  const keyed = new Map(layerKeys.map((k) => [k.key, k.weights]));
  for (const [name, key] of keys) if (!byName.has(name) && keyed.has(key)) byName.set(name, keyed.get(key)!);
  const groups = layerKeys.map((k) => k.key);
  const hint: MissingHint = (b) =>
    `This .keras file names its weight groups by class and order (Keras' to_snake_case plus a counter); ` +
    `the layer was looked for as '${keys.get(b.name) ?? b.name}', and the file's groups are ${groups.slice(0, 12).join(', ')}` +
    `${groups.length > 12 ? ', …' : ''}. If a group of that class exists under another number, the model's layer order ` +
    'differs from the one saved; please report the file.';
  return { byName, hint };
}

/** Each layer's weight-group key in a `.keras` file that names groups by class: `conv1d`, `conv1d_1`, … */
function classKey(built: BuiltModel): Map<string, string> {
  const counters = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const b of built.layers) {
    const base = snake(b.className);
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    keys.set(b.name, n === 0 ? base : `${base}_${n}`);
  }
  return keys;
}

/** Keras' `to_snake_case` (Conv1D → conv1d, MultiHeadAttention → multi_head_attention). */
function snake(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
