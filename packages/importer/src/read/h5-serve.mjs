// The request loop of an HDF5 reader thread (plain JavaScript: see h5-dump.mjs), shared by the Node
// worker (h5-worker.mjs) and the browser worker (h5-worker-web.mjs). One file at a time:
// { id, bytes, limits } in, the dumped tree (weights transferred) out. Tells the host
// { ready: true } once h5wasm has loaded, or { ready: false, error } when it cannot.
import h5wasm from 'h5wasm';
// biome-ignore lint/correctness/useImportExtensions: plain JS module; h5-dump.d.mts only types it
import { dumpH5 } from './h5-dump.mjs';

/** `port`: { post(message, transfer), onMessage(fn) } over the thread's channel to its host. */
export function serve(port) {
  const ready = h5wasm.ready.then(
    (module) => {
      module.activate_throwing_error_handler();
      port.post({ ready: true }, []);
      return module;
    },
    (e) => {
      port.post({ ready: false, error: e instanceof Error ? e.message : String(e) }, []);
      return null;
    },
  );
  let counter = 0;

  port.onMessage(async ({ id, bytes, limits }) => {
    const module = await ready;
    if (!module) return;
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
        error: {
          message,
          name: e instanceof Error ? e.name : typeof e,
          aborted: e instanceof WebAssembly.RuntimeError,
        },
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
    port.post({ id, ...res }, transfer);
  });
}
