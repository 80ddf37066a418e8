// The worker thread that reads HDF5 files for read/h5-tree.ts (plain JavaScript: see h5-dump.mjs).
// One file at a time: { id, bytes, limits } in, the dumped tree (weights transferred) out.
import { parentPort } from 'node:worker_threads';
import h5wasm from 'h5wasm';
// biome-ignore lint/correctness/useImportExtensions: the worker loads the plain JS module; h5-dump.d.mts only types it
import { dumpH5 } from './h5-dump.mjs';

const ready = h5wasm.ready.then((module) => {
  module.activate_throwing_error_handler();
  parentPort.postMessage({ ready: true });
  return module;
});
let counter = 0;

parentPort.on('message', async ({ id, bytes, limits }) => {
  const module = await ready;
  counter += 1;
  const path = `/tmp/keraspect-read-${counter}.h5`;
  let res;
  try {
    module.FS.writeFile(path, bytes);
    res = dumpH5(h5wasm, path, limits);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    res = {
      ok: false,
      stage: 'read',
      error: { message, name: e instanceof Error ? e.name : typeof e, aborted: e instanceof WebAssembly.RuntimeError },
    };
  } finally {
    try {
      module.FS.unlink(path);
    } catch {
      // never written (out of memory) or already gone
    }
  }
  const transfer = res.transfer ?? [];
  delete res.transfer;
  parentPort.postMessage({ id, ...res }, transfer);
});
