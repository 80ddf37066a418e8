/**
 * Writes Keras legacy HDF5 files — the layout of Keras 2's `model.save('x.h5')` and
 * `model.save_weights('x.h5')` — so that h5py, standalone Keras 2, tf.keras 2, Keras 3 and our own
 * reader can load them. Bytes out; the file system is the caller's business.
 *
 * Layout of a full model (`writeKerasH5`):
 * ```
 * /                         attrs keras_version, backend, model_config (JSON)
 * /model_weights            attrs layer_names, backend, keras_version
 * /model_weights/<layer>    attr  weight_names, e.g. [b'lstm_1/kernel:0', …]
 * /model_weights/<layer>/<weight name>   float32 dataset, e.g. model_weights/lstm_1/lstm_1/kernel:0
 * ```
 * A weights-only file (`writeKerasWeightsH5`) is the same without the `model_weights/` level.
 *
 * String types are chosen for what every Keras generation reads:
 * - `keras_version`, `backend`, `model_config`: scalar variable-length ASCII strings, as Keras 2 wrote
 *   them (h5py 2 returns `bytes`, which Keras 2.3.1 `.decode()`s; h5py 3 returns `str`, which
 *   tf.keras and Keras 3 accept). Variable-length strings live in HDF5's global heap, so a large
 *   `model_config` does not hit the 64 KiB object-header limit. Non-ASCII characters in the JSON are
 *   written as `\uXXXX` escapes, as Python's `json.dumps` does.
 * - `layer_names`, `weight_names`: arrays of fixed-length byte strings (h5py reads `|S<n>`), because
 *   Keras 2.3.1 calls `.decode('utf8')` on every element. A layer without weights gets an empty
 *   float64 array, exactly as Keras writes `np.asarray([])`. Lists longer than 64 512 bytes are split
 *   into `layer_names0`, `layer_names1`, … the way Keras' `save_attributes_to_hdf5_group` does.
 */
import type { Group as H5Group } from 'h5wasm';
import { fail, ImporterError } from '../errors.ts';
import type { KerasModelJson } from '../keras-format/types.ts';
import type { WeightArray } from '../layers/port.ts';
import { discardH5File, h5ErrorSummary, h5Module, h5Namespace, type H5File, uniquePath } from '../read/h5wasm.ts';

/**
 * The Keras version written when none is given: `2.3.1`, the last standalone Keras 2. TF.js layers
 * follow Keras 2 semantics (e.g. `hard_sigmoid` = `clip(0.2·x + 0.5, 0, 1)`), and a `2.x` version tells
 * our reader, Keras 2 and tf.keras to read the config with those semantics and the `:0` weight names
 * without any Keras 1 conversion; Keras 3 loads such files through its legacy-H5 path. When
 * re-exporting a file that Keras 3 wrote, pass its own version instead.
 */
export const DEFAULT_KERAS_VERSION = '2.3.1';

/** The `backend` attribute written when none is given. */
export const DEFAULT_BACKEND = 'tensorflow';

/** HDF5's limit on one object-header message, as Keras uses it (`HDF5_OBJECT_HEADER_LIMIT`). */
const HDF5_OBJECT_HEADER_LIMIT = 64512;

/** One layer's weights as written: `weights` in `weight_names` order, names verbatim. */
export interface KerasH5Layer {
  /** The layer name (the group name and the entry in `layer_names`). */
  name: string;
  /** Weights in `weight_names` order; `[]` for a layer without weights (it is still listed). */
  weights: WeightArray[];
}

/** What `writeKerasWeightsH5` writes. */
export interface KerasWeightsH5 {
  /** Every layer in model order, including layers without weights. */
  layers: KerasH5Layer[];
  /** `keras_version` attribute. Default `DEFAULT_KERAS_VERSION` (`'2.3.1'`). */
  kerasVersion?: string;
  /** `backend` attribute. Default `'tensorflow'`. */
  backend?: string;
}

/** What `writeKerasH5` writes: a weights file plus the architecture. */
export interface KerasH5Model extends KerasWeightsH5 {
  /** The `model_config` attribute: `{"class_name": …, "config": …}` as Keras writes it. */
  modelConfig: KerasModelJson;
}

/**
 * A Keras legacy full-model `.h5` (the layout of Keras 2's `model.save('x.h5')`), as bytes.
 * Requires `await h5()` once before (h5wasm loads asynchronously).
 */
export function writeKerasH5(model: KerasH5Model): Uint8Array {
  const { modelConfig, layers, kerasVersion = DEFAULT_KERAS_VERSION, backend = DEFAULT_BACKEND } = model;
  if (modelConfig === null || typeof modelConfig !== 'object' || typeof modelConfig.class_name !== 'string') {
    fail(
      'BAD_ARGUMENT',
      `writeKerasH5 needs modelConfig as Keras writes it, {"class_name": …, "config": …}; got ${JSON.stringify(modelConfig)?.slice(0, 80)}.`,
    );
  }
  checkLayers(layers);
  return writeH5File('writeKerasH5', (file) => {
    scalarString(file, 'keras_version', kerasVersion);
    scalarString(file, 'backend', backend);
    scalarString(file, 'model_config', asciiJson(modelConfig));
    const group = file.create_group('model_weights');
    writeWeightGroups(group, layers, kerasVersion, backend);
  });
}

/**
 * A Keras weights-only `.h5` (the layout of Keras 2's `model.save_weights('x.h5')`): root attributes
 * `layer_names`, `backend`, `keras_version` and one group per layer. Requires `await h5()` once before.
 */
export function writeKerasWeightsH5(weights: KerasWeightsH5): Uint8Array {
  const { layers, kerasVersion = DEFAULT_KERAS_VERSION, backend = DEFAULT_BACKEND } = weights;
  checkLayers(layers);
  return writeH5File('writeKerasWeightsH5', (file) => writeWeightGroups(file, layers, kerasVersion, backend));
}

/** `save_weights_to_hdf5_group`: names and version on `group`, one sub-group per layer. */
function writeWeightGroups(group: H5Group, layers: KerasH5Layer[], kerasVersion: string, backend: string): void {
  stringList(
    group,
    'layer_names',
    layers.map((l) => l.name),
  );
  scalarString(group, 'backend', backend);
  scalarString(group, 'keras_version', kerasVersion);
  for (const layer of layers) {
    const layerGroup = group.create_group(layer.name);
    stringList(
      layerGroup,
      'weight_names',
      layer.weights.map((w) => w.name),
    );
    const groups = new Set<string>();
    for (const weight of layer.weights) {
      // `lstm_1/kernel:0` is a dataset `kernel:0` in a sub-group `lstm_1`; h5wasm does not create
      // intermediate groups, so make them first.
      const parts = weight.name.split('/');
      for (let i = 1; i < parts.length; i++) {
        const sub = parts.slice(0, i).join('/');
        if (!groups.has(sub)) {
          layerGroup.create_group(sub);
          groups.add(sub);
        }
      }
      layerGroup.create_dataset({ name: weight.name, data: weight.data, shape: weight.shape, dtype: '<f' });
    }
  }
}

/** Create a file in h5wasm's in-memory FS, let `write` fill it, and return its bytes. */
function writeH5File(what: string, write: (file: H5File) => void): Uint8Array {
  const module = h5Module(what);
  const path = uniquePath('write');
  let file: H5File | undefined;
  try {
    file = new (h5Namespace(what).File)(path, 'w');
    write(file);
    file.close();
    file = undefined;
    return module.FS.readFile(path);
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    return fail('BAD_ARGUMENT', `${what} could not write the HDF5 file: ${h5ErrorSummary(e)}.`, e);
  } finally {
    discardH5File(module, path, file);
  }
}

/** A scalar variable-length ASCII string attribute (what h5py makes of Keras 2's `.encode('utf8')`). */
function scalarString(obj: H5Group, name: string, value: string): void {
  obj.create_attribute(name, value, null, 'A');
}

/**
 * `save_attributes_to_hdf5_group`: fixed-length byte strings, split into `name0`, `name1`, … when the
 * array would exceed the object-header limit; an empty list is an empty float64 array.
 */
function stringList(obj: H5Group, name: string, values: string[]): void {
  if (values.length === 0) {
    obj.create_attribute(name, new Float64Array(0), [0]);
    return;
  }
  const encoder = new TextEncoder();
  const itemSize = Math.max(1, ...values.map((v) => encoder.encode(v).length));
  if (itemSize > HDF5_OBJECT_HEADER_LIMIT) {
    fail(
      'BAD_ARGUMENT',
      `A name in '${name}' is ${itemSize} bytes long; HDF5 attributes hold at most ${HDF5_OBJECT_HEADER_LIMIT} bytes, so Keras could not save it either.`,
    );
  }
  let chunks = 1;
  while (Math.ceil(values.length / chunks) * itemSize > HDF5_OBJECT_HEADER_LIMIT) chunks += 1;
  const write = (attr: string, list: string[]) => obj.create_attribute(attr, list, [list.length], `A${itemSize}`);
  if (chunks === 1) write(name, values);
  else arraySplit(values, chunks).forEach((list, i) => write(`${name}${i}`, list));
}

/** `np.array_split`: `n` nearly equal parts, the first `len % n` one longer. */
function arraySplit<T>(values: T[], n: number): T[][] {
  const base = Math.floor(values.length / n);
  const extra = values.length % n;
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push(values.slice(start, start + size));
    start += size;
  }
  return out;
}

/** JSON with every non-ASCII character escaped, like Python's `json.dumps` (ensure_ascii). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Names Keras could have written, unique where HDF5 needs them to be, data matching shapes. */
function checkLayers(layers: KerasH5Layer[]): void {
  if (!Array.isArray(layers))
    fail('BAD_ARGUMENT', `The layers to write must be an array of {name, weights}; got ${typeof layers}.`);
  const seen = new Set<string>();
  for (const layer of layers) {
    if (typeof layer.name !== 'string' || layer.name === '' || layer.name.includes('/') || layer.name === '.') {
      fail(
        'BAD_ARGUMENT',
        `Layer name ${JSON.stringify(layer.name)} cannot be an HDF5 group name: use a non-empty name without '/'.`,
      );
    }
    if (seen.has(layer.name))
      fail('BAD_ARGUMENT', `Layer name '${layer.name}' appears twice; Keras layer names are unique within a model.`);
    seen.add(layer.name);
    const datasets = new Set<string>();
    const groups = new Set<string>();
    for (const w of layer.weights) {
      const parts = typeof w.name === 'string' ? w.name.split('/') : [''];
      if (parts.some((p) => p === '' || p === '.' || p === '..')) {
        fail(
          'BAD_ARGUMENT',
          `Weight name ${JSON.stringify(w.name)} of layer '${layer.name}' is not a valid HDF5 path: use names like '${layer.name}/kernel:0'.`,
        );
      }
      const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
      if (datasets.has(w.name) || groups.has(w.name) || prefixes.some((p) => datasets.has(p))) {
        fail(
          'BAD_ARGUMENT',
          `Weight name '${w.name}' of layer '${layer.name}' clashes with another weight of that layer (names must be unique and none may be a folder of another).`,
        );
      }
      datasets.add(w.name);
      for (const p of prefixes) groups.add(p);
      if (!(w.data instanceof Float32Array)) {
        fail(
          'BAD_ARGUMENT',
          `Weight '${w.name}' of layer '${layer.name}' must be a Float32Array (Keras weights are float32).`,
        );
      }
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) {
        fail(
          'BAD_ARGUMENT',
          `Weight '${w.name}' of layer '${layer.name}' has shape ${JSON.stringify(w.shape)}; a shape is a list of non-negative integers.`,
        );
      }
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (size !== w.data.length) {
        fail(
          'WEIGHT_MISMATCH',
          `Weight '${w.name}' of layer '${layer.name}' has shape [${w.shape.join(', ')}] (${size} values) but ${w.data.length} values.`,
        );
      }
    }
  }
}
