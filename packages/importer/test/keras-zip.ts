import { zipSync } from 'fflate';
import h5wasm, { type Group as H5Group } from 'h5wasm';
import { h5Module, uniquePath } from '../src/read/h5wasm.ts';

/** A float array and its shape, written as one dataset. */
export interface Var {
  shape: number[];
  data: ArrayLike<number>;
  /** '<q' writes an int64 dataset (Keras 3 stores Normalization's adapt count so); float32 by default. */
  dtype?: '<q';
}

/**
 * A `.keras` zip as Keras writes it: config.json, metadata.json and model.weights.h5 whose groups
 * are `groups` (path → the layer's `vars` in order). Paths are `/`-separated; with `windows`, the
 * object path before `/vars` is one root group joined by `\` — what tf.keras 2.13–2.15 wrote on
 * Windows. Requires `await h5()` once before.
 */
export function kerasZip(a: {
  config: unknown;
  kerasVersion: string;
  groups: Record<string, Var[]>;
  /** The `name` attribute Keras 3 stores on a layer's `vars` group, by object path. */
  names?: Record<string, string>;
  windows?: boolean;
}): Uint8Array {
  const path = uniquePath('test');
  const f = new h5wasm.File(path, 'w');
  const groupAt = (parts: string[]): H5Group => {
    let g = f as unknown as H5Group;
    for (const part of parts) {
      if (!g.keys().includes(part)) g.create_group(part);
      g = g.get(part) as H5Group;
    }
    return g;
  };
  for (const [object, vars] of Object.entries(a.groups)) {
    const g = groupAt([...(a.windows ? [object.split('/').join('\\')] : object.split('/')), 'vars']);
    if (a.names?.[object]) g.create_attribute('name', a.names[object]);
    vars.forEach((v, i) => {
      const int64 = v.dtype === '<q';
      const data = int64 ? BigInt64Array.from(Array.from(v.data), BigInt) : Float32Array.from(v.data);
      g.create_dataset({ name: String(i), data, shape: v.shape, dtype: int64 ? '<q' : '<f' });
    });
  }
  f.close();
  const weights = h5Module('test').FS.readFile(path);
  h5Module('test').FS.unlink(path);
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  return zipSync({
    'config.json': enc(a.config),
    'metadata.json': enc({ keras_version: a.kerasVersion }),
    'model.weights.h5': weights,
  });
}
