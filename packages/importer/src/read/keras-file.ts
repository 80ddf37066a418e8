import { strFromU8, type UnzipFileInfo, unzipSync } from 'fflate';
import { fail, ImporterError } from '../errors.ts';
import type { KerasModelJson } from '../keras-format/types.ts';
import type { KerasVersion, WeightArray } from '../layers/port.ts';
import { exceedLimit, type Limits, resolveLimits, ZIP_RATIO_MIN_BYTES } from '../limits.ts';
import { type DumpNode, readH5Tree } from './h5-tree.ts';
import { decodeAttr, h5ErrorSummary } from './h5wasm.ts';

/** The file formats the importer reads. */
export type KerasFileFormat = 'h5' | 'keras-zip' | 'h5-weights' | 'keras3-weights';

/**
 * A Keras file read into plain data: the architecture JSON (when the file has one), the Keras
 * version that wrote it, and every layer's weights in `weight_names` order. Stage one of
 * read file → parse config → build model → load weights.
 */
export interface KerasArtifact {
  format: KerasFileFormat;
  kerasVersion: KerasVersion;
  /** `backend` attribute as written (`tensorflow`, `theano`, `jax`, …) or null. */
  backend: string | null;
  modelConfig: KerasModelJson | null;
  /** Weights by layer name (for `.keras` zips: by the `name` stored beside each layer's vars). */
  weights: Map<string, WeightArray[]>;
  /**
   * `.keras` zips and Keras 3 `.weights.h5` files only: layer groups in file order with the class
   * key Keras derived from the class name (`lstm`, `dense_1`), for files whose groups lack names.
   */
  layerKeys?: LayerGroup[];
  /**
   * The root group `layerKeys` were read from: `layers`, or `_layer_checkpoint_dependencies` where
   * tf.keras 2.12–2.14 wrote it (2.12 and 2.13 also count each layer with weights twice there).
   */
  layerRoot?: LayerRoot;
}

/** Root group names of the object-path weights layout (`layers/<class-key>/vars/<i>`). */
export type LayerRoot = 'layers' | '_layer_checkpoint_dependencies';
const LAYER_ROOTS: LayerRoot[] = ['layers', '_layer_checkpoint_dependencies'];

/** One layer's group in the object-path layout. */
export interface LayerGroup {
  /** The group's name: class key and counter, `dense_1`. */
  key: string;
  /** The layer name Keras 3 stores beside the vars, when it does. */
  name: string | null;
  /** Every variable below the group, sub-objects in the order Keras creates them. */
  weights: WeightArray[];
  /** A nested model's own layer groups (`layers/sequential/layers/dense/…`), keyed within it. */
  layers?: LayerGroup[];
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Read a Keras model or weights file (`.h5` full model, `.keras` zip, weights-only `.h5`). `limits`
 * (defaults: `DEFAULT_LIMITS`) bound the file size, zip entries and weight sizes, checked before
 * the memory is spent. Every failure is an `ImporterError`.
 */
export async function readKerasFile(
  bytes: Uint8Array,
  label = 'The file',
  limits?: Partial<Limits>,
): Promise<KerasArtifact> {
  const lim = resolveLimits(limits);
  if (bytes.length > lim.maxFileBytes)
    exceedLimit('maxFileBytes', lim, `${label} (${label === 'The file' ? 'model' : 'weights'})`, bytes.length);
  try {
    if (bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b)) return await readKerasZip(bytes, lim);
    return readH5(treeReader(nestWindowsPaths(await readH5Tree(bytes, label, lim)), lim));
  } catch (e) {
    throw asReadError(e, label);
  }
}

/** Anything but an `ImporterError` escaping the reader is a file it could not make sense of. */
function asReadError(e: unknown, label: string): ImporterError {
  if (e instanceof ImporterError) return e;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new ImporterError(
    'CORRUPT_FILE',
    `${label} could not be read (${msg.slice(0, 200)}): it is truncated, corrupt or not laid out as Keras writes it.`,
    { cause: e },
  );
}

/** The slice of an HDF5 object the reader uses: a node of the tree `readH5Tree` returns. */
interface H5Node {
  attrs: Record<string, { value: unknown }>;
  keys?: () => string[];
  shape?: number[] | null;
  value?: unknown;
  /** The dumped node (limits and read errors of datasets). */
  dump: DumpNode;
}

interface H5Reader {
  root: H5Node;
  get(path: string): H5Node | null;
  limits: Limits;
}

function treeReader(root: DumpNode, limits: Limits): H5Reader {
  const wrap = (t: DumpNode): H5Node => {
    const attrs: H5Node['attrs'] = {};
    for (const [name, a] of Object.entries(t.attrs ?? {})) {
      Object.defineProperty(attrs, name, {
        enumerable: true,
        get: () => {
          if (a.error)
            fail(
              'CORRUPT_FILE',
              `The HDF5 attribute '${name}' could not be read (${h5ErrorSummary(new Error(a.error.message))}): the file is corrupt.`,
            );
          return { value: a.value };
        },
      });
    }
    return {
      attrs,
      keys: t.kind === 'group' ? () => [...(t.children?.keys() ?? [])] : undefined,
      shape: t.kind === 'dataset' ? t.shape : undefined,
      value: t.value,
      dump: t,
    };
  };
  return {
    root: wrap(root),
    limits,
    get(path) {
      let t: DumpNode | undefined = root;
      for (const part of path.split('/')) {
        if (!part || part === '.') continue;
        t = t?.children?.get(part);
        if (!t) return null;
      }
      return wrap(t);
    },
  };
}

/**
 * tf.keras 2.13–2.15 built weight-file paths with `os.path.join`, so a `.keras` saved on Windows
 * has its groups at the root as `layers\conv1d` and `layers\multi_head_attention\_key_dense`
 * instead of nested. Nest them back, so both layouts read as the one Keras means.
 */
function nestWindowsPaths(root: DumpNode): DumpNode {
  const children = root.children;
  if (root.kind !== 'group' || !children || children.has('layers')) return root;
  const flat = [...children.keys()].filter((k) => k.includes('\\'));
  if (flat.length === 0) return root;
  const nested: DumpNode = { ...root, children: new Map([...children].filter(([k]) => !k.includes('\\'))) };
  for (const key of flat) {
    let node = nested;
    for (const part of key.split('\\')) {
      const kids = node.children as Map<string, DumpNode>;
      let next = kids.get(part);
      if (!next) {
        next = { kind: 'group', attrs: {}, children: new Map() };
        kids.set(part, next);
      }
      node = next;
    }
    // The real group at this path: its own attributes and children join the ones nested into it.
    const real = children.get(key) as DumpNode;
    node.attrs = { ...real.attrs, ...node.attrs };
    node.kind = real.kind;
    if (real.kind === 'group') for (const [k, v] of real.children ?? []) node.children?.set(k, v);
    else Object.assign(node, { shape: real.shape, value: real.value, limit: real.limit, error: real.error });
  }
  return nested;
}

function isGroup(n: H5Node | null): n is H5Node & { keys: () => string[] } {
  return !!n && typeof n.keys === 'function';
}

async function readKerasZip(bytes: Uint8Array, limits: Limits): Promise<KerasArtifact> {
  let entries: Record<string, Uint8Array>;
  let count = 0;
  let total = 0;
  // Checked from the central directory before each entry is inflated.
  const filter = (f: UnzipFileInfo): boolean => {
    count += 1;
    if (count > limits.maxZipEntries)
      exceedLimit(
        'maxZipEntries',
        limits,
        'The number of entries in the .keras zip',
        count,
        'Keras writes 3 (config.json, metadata.json, model.weights.h5).',
      );
    const what = `Zip entry '${f.name.slice(0, 100)}' uncompressed`;
    if (f.originalSize > limits.maxZipEntryBytes) exceedLimit('maxZipEntryBytes', limits, what, f.originalSize);
    total += f.originalSize;
    if (total > limits.maxZipTotalBytes) exceedLimit('maxZipTotalBytes', limits, 'The .keras zip uncompressed', total);
    const ratio = f.originalSize / Math.max(1, f.size);
    if (f.originalSize > ZIP_RATIO_MIN_BYTES && ratio > limits.maxZipRatio) {
      exceedLimit(
        'maxZipRatio',
        limits,
        `Zip entry '${f.name.slice(0, 100)}' compression ratio (${f.originalSize} bytes from ${f.size}, a zip bomb's signature)`,
        Math.round(ratio),
      );
    }
    return true;
  };
  try {
    entries = unzipSync(bytes, { filter });
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    return fail(
      'CORRUPT_FILE',
      `The .keras zip could not be unpacked (${(e as Error).message}). The file is truncated or corrupt: save it again with model.save('model.keras').`,
      e,
    );
  }
  const configBytes = entries['config.json'];
  const weightsBytes = entries['model.weights.h5'];
  if (!configBytes || !weightsBytes) {
    fail(
      'NOT_KERAS',
      `This zip has no ${!configBytes ? 'config.json' : 'model.weights.h5'}, so it is not a Keras 3 .keras file (entries: ${Object.keys(entries).slice(0, 10).join(', ') || 'none'}).`,
    );
  }
  const modelConfig = parseJson(strFromU8(configBytes), 'config.json') as KerasModelJson;
  let versionRaw: string | null = null;
  if (entries['metadata.json']) {
    const meta = parseJson(strFromU8(entries['metadata.json']), 'metadata.json') as { keras_version?: string } | null;
    versionRaw = typeof meta?.keras_version === 'string' ? meta.keras_version : null;
  }
  const tree = await readH5Tree(weightsBytes, 'The model.weights.h5 inside the .keras zip', limits);
  const weights = readKeras3Weights(treeReader(nestWindowsPaths(tree), limits));
  return {
    format: 'keras-zip',
    kerasVersion: parseVersion(versionRaw, 3),
    backend: null,
    modelConfig,
    weights: weights.byName,
    layerKeys: weights.layerKeys,
    layerRoot: weights.layerRoot,
  };
}

function readH5(file: H5Reader): KerasArtifact {
  const root = file.root;
  const attrs = attrNames(root);
  const keys = root.keys!();
  const versionRaw = attrs.includes('keras_version') ? String(decodeAttr(root.attrs.keras_version.value)) : null;
  const backend = attrs.includes('backend') ? String(decodeAttr(root.attrs.backend.value)) : null;
  if (keys.includes('model_weights') || attrs.includes('model_config')) {
    const modelConfig = attrs.includes('model_config')
      ? (parseJson(String(decodeAttr(root.attrs.model_config.value)), 'model_config attribute') as KerasModelJson)
      : null;
    const mw = keys.includes('model_weights') ? 'model_weights' : '';
    const weights = readLegacyWeights(file, mw);
    const mwGroup = mw ? file.get(mw) : null;
    const groupVersion =
      mwGroup && attrNames(mwGroup).includes('keras_version')
        ? String(decodeAttr(mwGroup.attrs.keras_version.value))
        : null;
    return { format: 'h5', kerasVersion: parseVersion(versionRaw ?? groupVersion, 2), backend, modelConfig, weights };
  }
  if (attrs.includes('layer_names')) {
    return {
      format: 'h5-weights',
      kerasVersion: parseVersion(versionRaw, 2),
      backend,
      modelConfig: null,
      weights: readLegacyWeights(file, ''),
    };
  }
  if (LAYER_ROOTS.some((r) => keys.includes(r))) {
    const w = readKeras3Weights(file);
    return {
      format: 'keras3-weights',
      kerasVersion: parseVersion(null, 3),
      backend,
      modelConfig: null,
      weights: w.byName,
      layerKeys: w.layerKeys,
      layerRoot: w.layerRoot,
    };
  }
  return fail(
    'NOT_KERAS',
    `This HDF5 file is not a Keras model: it has no 'model_config' attribute, no 'model_weights' or 'layers' group and no 'layer_names' attribute (top-level groups: ${keys.slice(0, 10).join(', ') || 'none'}). Pass a file written by model.save() or model.save_weights().`,
  );
}

/** Keras 1/2 and Keras 3 legacy layout: `<root>/<layer>` groups with a `weight_names` attribute. */
function readLegacyWeights(file: H5Reader, root: string): Map<string, WeightArray[]> {
  const out = new Map<string, WeightArray[]>();
  const rootGroup = file.get(root);
  if (!isGroup(rootGroup))
    return fail('CORRUPT_FILE', `The weights group '${root}' is not a group: the file is corrupt.`);
  const names = attrNames(rootGroup).some((a) => /^layer_names\d*$/.test(a))
    ? chunkedStrings(rootGroup, 'layer_names')
    : rootGroup.keys();
  for (const layer of names) {
    const path = root ? `${root}/${layer}` : layer;
    const group = file.get(path);
    if (!isGroup(group)) {
      fail(
        'CORRUPT_FILE',
        `Layer '${layer}' is listed in layer_names but its weight group '${path}' is missing: the file is truncated or corrupt.`,
      );
    }
    const weightNames = chunkedStrings(group, 'weight_names');
    out.set(
      layer,
      weightNames.map((w) => readDataset(file, `${path}/${w}`, w)),
    );
  }
  return out;
}

/**
 * Keras 3 `model.weights.h5`: `layers/<class-key>/vars/<i>` plus sub-objects (`cell`, `forward_layer`,
 * …). Sub-objects are visited in the order Keras creates their weights, not alphabetically.
 */
const CHILD_ORDER = [
  'vars',
  'cell',
  'forward_layer',
  'backward_layer',
  'layer',
  'query_dense',
  'key_dense',
  'value_dense',
  'output_dense',
];

function readKeras3Weights(file: H5Reader): {
  byName: Map<string, WeightArray[]>;
  layerKeys: LayerGroup[];
  layerRoot: LayerRoot;
} {
  const layerRoot = LAYER_ROOTS.find((r) => isGroup(file.get(r))) ?? 'layers';
  const layerKeys = readLayerGroups(file, layerRoot, layerRoot);
  const byName = new Map<string, WeightArray[]>();
  for (const g of layerKeys) if (g.name) byName.set(g.name, g.weights);
  return { byName, layerKeys, layerRoot };
}

function readLayerGroups(file: H5Reader, container: string, root: LayerRoot): LayerGroup[] {
  const group = file.get(container);
  if (!isGroup(group)) return [];
  return group.keys().map((key) => {
    const path = `${container}/${key}`;
    const vars = file.get(`${path}/vars`);
    const name = vars && attrNames(vars).includes('name') ? String(decodeAttr(vars.attrs.name.value)) : null;
    const inner = isGroup(file.get(`${path}/${root}`)) ? readLayerGroups(file, `${path}/${root}`, root) : undefined;
    return { key, name, weights: collectVars(file, path), ...(inner ? { layers: inner } : {}) };
  });
}

function collectVars(file: H5Reader, path: string): WeightArray[] {
  const group = file.get(path);
  if (!isGroup(group)) return [];
  const children = group.keys();
  const ordered = [...children].sort((a, b) => rank(a) - rank(b) || byCounter(a, b));
  const out: WeightArray[] = [];
  for (const child of ordered) {
    const childPath = `${path}/${child}`;
    if (child === 'vars') {
      const varsGroup = file.get(childPath);
      const vars = isGroup(varsGroup) ? varsGroup.keys() : [];
      for (const v of vars.sort((a, b) => Number(a) - Number(b)))
        out.push(readDataset(file, `${childPath}/${v}`, `${childPath}/${v}`));
    } else if (isGroup(file.get(childPath))) {
      out.push(...collectVars(file, childPath));
    }
  }
  return out;
}

/**
 * Keras 3 names the elements of a list attribute by class and counter, `lstm_cell`, `lstm_cell_1`,
 * …, `lstm_cell_10`, in list order: compare the counter as a number (alphabetically `_10` would
 * come before `_2`), names without one first.
 */
function byCounter(a: string, b: string): number {
  const [, baseA, nA] = /^(.*?)(?:_(\d+))?$/.exec(a) as RegExpExecArray;
  const [, baseB, nB] = /^(.*?)(?:_(\d+))?$/.exec(b) as RegExpExecArray;
  if (baseA !== baseB) return baseA < baseB ? -1 : 1;
  return (nA === undefined ? -1 : Number(nA)) - (nB === undefined ? -1 : Number(nB));
}

function rank(child: string): number {
  // Keras 3 saves a sub-layer under its attribute's name: `_query_dense`, or `query_dense` since
  // MultiHeadAttention gained public properties for them.
  const i = CHILD_ORDER.indexOf(child.replace(/^_/, ''));
  return i < 0 ? CHILD_ORDER.length : i;
}

function readDataset(file: H5Reader, path: string, name: string): WeightArray {
  const ds = file.get(path);
  if (!ds || isGroup(ds) || !ds.shape) {
    return fail(
      'CORRUPT_FILE',
      `Weight '${name}' is listed in weight_names but the dataset '${path}' is missing: the file is truncated or corrupt.`,
    );
  }
  const shape = (ds.shape as number[]).map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const { limit, error } = ds.dump;
  if (limit?.limit === 'maxTensorElements')
    exceedLimit('maxTensorElements', file.limits, `Weight '${name}' ${JSON.stringify(shape)} (elements)`, size);
  if (limit)
    exceedLimit(
      'maxParams',
      file.limits,
      `The number of weight values in the file (counted up to '${name}')`,
      limit.value,
    );
  if (error) {
    return fail(
      'CORRUPT_FILE',
      `Weight '${name}' could not be read (${error.aborted ? error.message.split('\n')[0].slice(0, 200) : h5ErrorSummary(new Error(error.message))}): the file is truncated or corrupt.`,
    );
  }
  const data = toFloat32(ds.value, size, name);
  return { name, shape, data };
}

function toFloat32(value: unknown, size: number, name: string): Float32Array {
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    data = Float32Array.from(value as unknown as ArrayLike<number>, Number);
  else if (typeof value === 'number') data = Float32Array.of(value);
  // An int64 scalar (Keras 3 Normalization's adapt count) reads as a bigint.
  else if (typeof value === 'bigint') data = Float32Array.of(Number(value));
  else return fail('CORRUPT_FILE', `Weight '${name}' is not a numeric array; Keras weights are float arrays.`);
  if (data.length !== size)
    fail(
      'CORRUPT_FILE',
      `Weight '${name}' holds ${data.length} values but its shape needs ${size}: the file is corrupt.`,
    );
  return data;
}

function attrNames(obj: H5Node | null | undefined): string[] {
  return obj?.attrs ? Object.keys(obj.attrs) : [];
}

/** A string-list attribute, also when Keras split a long one into `name0`, `name1`, …. */
function chunkedStrings(node: H5Node, name: string): string[] {
  const attrs = attrNames(node);
  if (attrs.includes(name)) return toStrings(decodeAttr(node.attrs[name].value));
  const out: string[] = [];
  for (let i = 0; attrs.includes(`${name}${i}`); i++)
    out.push(...toStrings(decodeAttr(node.attrs[`${name}${i}`].value)));
  return out;
}

function toStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((s) => s.length > 0);
  if (typeof v === 'string') return v.length ? [v] : [];
  return [];
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/\bNaN\b/g, 'null').replace(/-?\bInfinity\b/g, 'null'));
  } catch (e) {
    return fail('CORRUPT_FILE', `The ${what} is not valid JSON (${(e as Error).message}): the file is corrupt.`, e);
  }
}

/** Parse `"2.2.4-tf"` → {2,2,4}; missing → the given default major. */
export function parseVersion(raw: string | null, defaultMajor: number): KerasVersion {
  const m = raw ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw) : null;
  if (!m) return { raw, major: defaultMajor, minor: 0, patch: 0 };
  return { raw, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}
