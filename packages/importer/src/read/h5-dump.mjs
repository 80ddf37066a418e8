// Plain JavaScript on purpose: Node worker threads load this file without the TypeScript loader
// (under vitest and tsx alike). Types are in h5-dump.d.mts.
//
// Reads a whole HDF5 file into a plain tree of groups, datasets and attribute values, so that a
// corrupt file which sends HDF5 into an endless loop can only hang a worker thread (which the
// caller terminates), never the caller. Limits are checked from dataset shapes before reading.

/** Groups named here are not read: Keras' optimizer state is never needed to rebuild a model. */
const SKIP_GROUPS = new Set(['optimizer_weights', 'optimizer']);

/**
 * Dump the HDF5 file at `path` (in h5wasm's in-memory FS) into a plain tree.
 * @param {typeof import('h5wasm').default} h5wasm
 * @param {string} path
 * @param {{ maxTensorElements: number, maxTotalElements: number, maxNodes: number, maxDepth: number }} limits
 */
export function dumpH5(h5wasm, path, limits) {
  let file;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (e) {
    return { ok: false, stage: 'open', error: describeError(e) };
  }
  const state = { nodes: 0, elements: 0, transfer: [] };
  try {
    const root = dumpGroup(file, 0, limits, state);
    return { ok: true, root, transfer: state.transfer };
  } catch (e) {
    if (e && e.limit) return { ok: false, stage: 'limit', limit: e.limit, value: e.value, error: describeError(e) };
    return { ok: false, stage: 'read', error: describeError(e) };
  } finally {
    try {
      file.close();
    } catch {
      // HDF5 may fail to close a file it failed to read; it is unlinked by the caller anyway.
    }
  }
}

function limitError(limit, value, message) {
  const e = new Error(message);
  e.limit = limit;
  e.value = value;
  return e;
}

function dumpAttrs(obj) {
  const attrs = {};
  let names;
  try {
    names = Object.keys(obj.attrs);
  } catch (e) {
    return { attrs, attrsError: describeError(e) };
  }
  for (const name of names) {
    try {
      attrs[name] = { value: obj.attrs[name].value };
    } catch (e) {
      attrs[name] = { error: describeError(e) };
    }
  }
  return { attrs };
}

function dumpGroup(group, depth, limits, state) {
  if (depth > limits.maxDepth)
    throw limitError('maxDepth', depth, `HDF5 groups nest deeper than ${limits.maxDepth} levels (a link cycle?)`);
  const node = { kind: 'group', ...dumpAttrs(group), children: new Map() };
  for (const key of group.keys()) {
    state.nodes += 1;
    if (state.nodes > limits.maxNodes)
      throw limitError('maxNodes', state.nodes, `the file has more than ${limits.maxNodes} HDF5 objects`);
    if (SKIP_GROUPS.has(key) && depth === 0) continue;
    let child;
    try {
      child = group.get(key);
    } catch (e) {
      node.children.set(key, { kind: 'broken', error: describeError(e) });
      continue;
    }
    if (!child) continue;
    if (child.type === 'Group') node.children.set(key, dumpGroup(child, depth + 1, limits, state));
    else if (child.type === 'Dataset') node.children.set(key, dumpDataset(child, limits, state));
  }
  return node;
}

function dumpDataset(ds, limits, state) {
  const node = { kind: 'dataset', ...dumpAttrs(ds), shape: null };
  let shape;
  try {
    shape = ds.shape;
  } catch (e) {
    node.error = describeError(e);
    return node;
  }
  node.shape = shape ? shape.map(Number) : null;
  const size = (node.shape ?? []).reduce((a, b) => a * b, 1);
  if (size > limits.maxTensorElements) {
    node.limit = { limit: 'maxTensorElements', value: size };
    return node;
  }
  if (state.elements + size > limits.maxTotalElements) {
    node.limit = { limit: 'maxParams', value: state.elements + size };
    return node;
  }
  state.elements += size;
  try {
    const value = ds.value;
    node.value = value;
    if (ArrayBuffer.isView(value) && value.byteLength === value.buffer.byteLength) state.transfer.push(value.buffer);
  } catch (e) {
    node.error = describeError(e);
  }
  return node;
}

/** Error text plus whether it came from h5wasm/HDF5 and whether the wasm instance aborted. */
function describeError(e) {
  const message = e instanceof Error ? e.message : String(e);
  const aborted = e instanceof WebAssembly.RuntimeError || /^Aborted\(|RuntimeError/.test(message);
  return { message: message.slice(0, 4000), name: e instanceof Error ? e.name : typeof e, aborted };
}
