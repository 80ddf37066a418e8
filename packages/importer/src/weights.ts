import * as tf from '@tensorflow/tfjs';
import type { BuildContext, WeightArray } from './layers/port.ts';
import type { BuiltLayer, BuiltModel } from './build.ts';
import { fail } from './errors.ts';
import type { KerasArtifact, LayerGroup } from './read/keras-file.ts';

/**
 * Stage four: put the file's weights into the built model, layer by layer in `weight_names` order,
 * checking count and shape of every weight. Returns the number of values loaded.
 */
export function loadWeights(
  built: BuiltModel,
  source: Pick<KerasArtifact, 'weights' | 'layerKeys' | 'layerRoot'>,
  ctx: Pick<BuildContext, 'kerasVersion' | 'semantics'>,
): number {
  if (source.layerKeys) return loadGroups(built.layers, source.layerKeys, ctx as BuildContext, countsOf(source, ctx));
  let total = 0;
  for (const b of built.layers) total += loadLayer(b, source.weights.get(b.name), ctx as BuildContext);
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
    const parts = splitLegacyOrder(b.nested, found);
    return parts.reduce((n, { layer, weights }) => n + loadLayer(layer, weights, ctx), 0);
  }
  if (targets.length === 0 && (!found || found.length === 0)) return 0;
  if (!found || found.length === 0) {
    return fail(
      'WEIGHT_MISMATCH',
      `Layer '${b.name}' (${b.className}) needs ${targets.length} weights (${describeTargets(targets)}) but the file has none for it. ` +
        (hint?.(b) ?? 'Check that the weights file belongs to this architecture (layer names must match).'),
    );
  }
  let converted = b.port?.convertWeights ? b.port.convertWeights(found, b.graphLayer.config, ctx) : found;
  const fits = (ws: WeightArray[]) =>
    ws.length === targets.length && ws.every((w, i) => sameShape(w.shape, targets[i].shape));
  if (!fits(converted) && !b.port?.convertWeights) converted = inSubLayerOrder(found, targets) ?? converted;
  const shapeOk = fits(converted);
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

/**
 * A layer's weights from an object-path file (`.keras`, Keras 3 `.weights.h5`) put in the order of
 * its sub-layers that fits `targets`, or null if none does (or they have no sub-layers). Keras saves
 * a layer's sub-layers under their attribute names and the file lists them alphabetically, while
 * the layer's own weight order — the one a `defineLayer` definition lists, as Keras' `weights` does —
 * follows the order they were created in (`self.W1 = Dense(…)` before `self.V = Dense(1)` is saved
 * as `…/V/vars`, `…/W1/vars`). Built-in ports know their sub-layers' order; this serves user-defined
 * layers. Each sub-layer's own weights keep their stored order; of several orders that fit, the one
 * closest to the file's (sub-layers of equal shapes stay alphabetical) is taken.
 */
function inSubLayerOrder(found: WeightArray[], targets: tf.LayerVariable[]): WeightArray[] | null {
  if (found.length !== targets.length) return null;
  // Each weight's owner path below the layer's own group: `V`, `W1`, `att/query_dense`, …
  const owners = found.map((w) => /^(.*)\/vars\/\d+$/.exec(w.name)?.[1].split('/'));
  if (owners.some((o) => o === undefined)) return null;
  const paths = owners as string[][];
  let root = 0;
  while (paths.every((o) => o.length > root && o[root] === paths[0][root])) root++;
  // Whole sub-layers move, never parts of one (a nested MultiHeadAttention keeps its projections together).
  const groups: WeightArray[][] = [];
  let previous: string | undefined;
  for (const [i, w] of found.entries()) {
    const sub = paths[i][root];
    if (groups.length > 0 && sub === previous) groups[groups.length - 1].push(w);
    else groups.push([w]);
    previous = sub;
  }
  if (groups.length < 2) return null;
  const used = groups.map(() => false);
  const order: WeightArray[][] = [];
  const place = (at: number): boolean => {
    if (at === targets.length) return true;
    const tried = new Set<string>();
    for (const [i, g] of groups.entries()) {
      const shapes = JSON.stringify(g.map((w) => w.shape));
      if (used[i] || tried.has(shapes)) continue;
      tried.add(shapes);
      if (at + g.length > targets.length || !g.every((w, k) => sameShape(w.shape, targets[at + k].shape))) continue;
      used[i] = true;
      order.push(g);
      if (place(at + g.length)) return true;
      used[i] = false;
      order.pop();
    }
    return false;
  };
  return place(0) ? order.flat() : null;
}

/** An inner layer of a nested model and how many of its weights Keras counts as trainable. */
interface LegacySection {
  layer: BuiltLayer;
  trainable: number;
  total: number;
}

/**
 * The plain layers of a nested model (nested ones flattened) in order, each with how many of its
 * weights Keras' legacy h5 saver lists in the model's trainable part. That saver writes a nested
 * model as one list, `trainable_weights + non_trainable_weights` (tf.keras `_legacy_weights`, Keras 2
 * `layer.weights`, Keras 3 `legacy_h5_format`): every inner layer's trainable weights, then every
 * inner layer's non-trainable ones; a layer saved with `trainable: false` (or inside a model saved
 * so) is non-trainable as a whole.
 */
function legacySections(model: BuiltModel, frozen = false): LegacySection[] {
  return model.layers.flatMap((b) => {
    const off = frozen || b.graphLayer.config.trainable === false;
    if (b.nested) return legacySections(b.nested, off);
    const total = b.layer.weights.length;
    return total === 0
      ? []
      : [{ layer: b, trainable: off ? 0 : b.layer.weights.filter((w) => w.trainable).length, total }];
  });
}

/** A nested model's weight list in Keras' legacy order → each inner layer's own weights. */
function splitLegacyOrder<T>(model: BuiltModel, list: T[]): { layer: BuiltLayer; weights: T[] }[] {
  const sections = legacySections(model);
  const trainableCount = sections.reduce((n, s) => n + s.trainable, 0);
  let t = 0;
  let rest = trainableCount;
  return sections.map((s) => {
    const weights = [...list.slice(t, t + s.trainable), ...list.slice(rest, rest + s.total - s.trainable)];
    t += s.trainable;
    rest += s.total - s.trainable;
    return { layer: s.layer, weights };
  });
}

/** Inner layers' weights (each in its own order) → the nested model's list in Keras' legacy order. */
export function joinLegacyOrder<T>(model: BuiltModel, weightsOf: (layer: BuiltLayer) => T[]): T[] {
  const sections = legacySections(model);
  const own = sections.map((s) => weightsOf(s.layer));
  return [
    ...sections.flatMap((s, i) => own[i].slice(0, s.trainable)),
    ...sections.flatMap((s, i) => own[i].slice(s.trainable)),
  ];
}

function describeTargets(targets: tf.LayerVariable[]): string {
  return targets.map((t) => `${t.originalName ?? t.name} ${JSON.stringify(t.shape)}`).join(', ');
}

function sameShape(a: number[], b: (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * How a Keras saver counted layers of one class when it named their groups: once each, or — tf.keras
 * 2.12 and 2.13, which list a layer with weights under both `layer_with_weights-k` and `layer-i` in
 * `_layer_checkpoint_dependencies` and count both — twice for a layer with weights.
 */
type Counting = 'once' | 'twice-if-weighted' | 'as-the-groups-fit';

function countsOf(source: Pick<KerasArtifact, 'layerRoot'>, ctx: Pick<BuildContext, 'kerasVersion'>): Counting {
  if (source.layerRoot !== '_layer_checkpoint_dependencies') return 'once';
  const v = ctx.kerasVersion;
  if (!v.raw) return 'as-the-groups-fit';
  return v.major === 2 && v.minor < 14 ? 'twice-if-weighted' : 'once';
}

/**
 * Load `layers` from object-path groups (`.keras` zips, Keras 3 `.weights.h5`): each layer takes the
 * group carrying its name, else the group Keras' naming rule gives it — snake_case class name plus
 * a per-class counter, in layer order. A nested model's layers are matched within its own groups.
 */
function loadGroups(layers: BuiltLayer[], groups: LayerGroup[], ctx: BuildContext, counting: Counting): number {
  const named = new Map(groups.filter((g) => g.name).map((g) => [g.name!, g]));
  // Groups that carry a name belong to the layer of that name only.
  const keyed = new Map(groups.filter((g) => !g.name).map((g) => [g.key, g]));
  let keys = classKeys(layers, counting === 'twice-if-weighted');
  if (counting === 'as-the-groups-fit') {
    const fits = (k: Map<string, string>) =>
      layers.every((b) => b.layer.weights.length === 0 || named.has(b.name) || keyed.has(k.get(b.name)!));
    const twice = classKeys(layers, true);
    if (!fits(keys) && fits(twice)) keys = twice;
  }
  // Only files whose groups go by class need telling how a layer was looked for.
  const hint = keyed.size === 0 ? undefined : classKeyHint(keys, groups);
  let total = 0;
  for (const b of layers) {
    const group = named.get(b.name) ?? keyed.get(keys.get(b.name)!);
    if (b.nested && group?.layers) total += loadGroups(b.nested.layers, group.layers, ctx, counting);
    else total += loadLayer(b, group?.weights, ctx, hint);
  }
  return total;
}

/** The missing-group message of a file whose groups are keyed by class: the key looked for, the keys present. */
function classKeyHint(keys: Map<string, string>, groups: LayerGroup[]): MissingHint {
  const present = groups.map((g) => g.key);
  return (b) =>
    `This file names its weight groups by class and order (Keras' to_snake_case plus a counter); ` +
    `the layer was looked for as '${keys.get(b.name) ?? b.name}', and the file's groups are ` +
    `${present.slice(0, 12).join(', ')}${present.length > 12 ? ', …' : ''}. If a group of that class exists ` +
    "under another number, the model's layer order differs from the one saved; please report the file.";
}

/** Each layer's group key: `conv1d`, `conv1d_1`, … (`twice`: a layer with weights takes two numbers). */
function classKeys(layers: BuiltLayer[], twice: boolean): Map<string, string> {
  const counters = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const b of layers) {
    const base = snake(b.className);
    const n = counters.get(base) ?? 0;
    counters.set(base, n + (twice && b.layer.weights.length > 0 ? 2 : 1));
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
