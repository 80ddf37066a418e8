import type { KerasModel } from '@keraspect/importer';
import { fail } from './errors.ts';

/**
 * Which layers to pick: an exact layer name, else every layer whose name contains the string (the
 * classic `get_layer_outputs(model, 'lstm', x)`); a RegExp tested against names; an index into
 * `km.summary()` rows (negative counts from the end); `'all'` for every layer but the inputs; or a
 * list of these (union, in model order).
 */
export type LayerSelector = string | RegExp | number | LayerSelector[];

/** A layer as explain names it: its Keras name and class, and its position in `km.layers` (and `km.summary()`). */
export interface LayerRef {
  name: string;
  className: string;
  index: number;
}

/** The layers `select` picks, in model order. Fails when a selector matches nothing. */
export function selectLayers(km: KerasModel, select: LayerSelector): LayerRef[] {
  const all = km.layers.map((b, index) => ({ name: b.name, className: b.className, index }));
  const hits = new Set<number>();
  const add = (s: LayerSelector): void => {
    if (Array.isArray(s)) return s.forEach(add);
    let found: LayerRef[];
    if (s === 'all') found = all.filter((l) => l.className !== 'InputLayer');
    else if (typeof s === 'number') {
      const i = s < 0 ? all.length + s : s;
      if (!Number.isInteger(s) || i < 0 || i >= all.length)
        fail(
          'UNKNOWN_LAYER',
          `Layer index ${s} is out of range: model '${km.name}' has ${all.length} layers (0…${all.length - 1}, negative counts from the end).`,
        );
      found = [all[i]];
    } else if (s instanceof RegExp) found = all.filter((l) => s.test(l.name));
    else {
      const exact = all.filter((l) => l.name === s);
      found = exact.length ? exact : all.filter((l) => l.name.includes(s));
    }
    if (!found.length) noSuchLayer(km, s);
    for (const l of found) hits.add(l.index);
  };
  add(select);
  return [...hits].sort((a, b) => a - b).map((i) => all[i]);
}

/** Exactly one layer by name (exact, else a unique substring match). */
export function oneLayer(km: KerasModel, name: string | number): LayerRef {
  const found = selectLayers(km, name);
  if (found.length > 1)
    fail(
      'UNKNOWN_LAYER',
      `'${name}' matches ${found.length} layers (${found.map((l) => l.name).join(', ')}); give the exact name of one.`,
    );
  return found[0];
}

/**
 * The one error for a layer selector that names no layer of `km` (`layerOutputs`, `attentionMaps`,
 * `layerGradients` and the `layer` option of attribution all fail with it): `UNKNOWN_LAYER`, listing the layers.
 */
export function noSuchLayer(km: KerasModel, s: LayerSelector): never {
  return fail(
    'UNKNOWN_LAYER',
    `No layer of model '${km.name}' matches ${typeof s === 'string' ? `'${s}'` : String(s)}. Layers: ${km.layers.map((l) => l.name).join(', ')}.`,
  );
}
