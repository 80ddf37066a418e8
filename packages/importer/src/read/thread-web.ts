/**
 * The HDF5 reader thread in browsers: a module Web Worker running h5-worker-web.mjs. Written as
 * `new Worker(new URL('./h5-worker-web.mjs', import.meta.url), { type: 'module' })` so that bundlers
 * (Vite, webpack 5, esbuild with a worker plugin) emit the worker and its h5wasm as their own chunk.
 */
import { ImporterError } from '../errors.ts';
import type { ReaderThread, ReaderThreadHandlers } from './reader-thread.ts';

export function startReaderThread(): ReaderThread {
  if (typeof Worker === 'undefined') {
    throw new ImporterError(
      'READER_UNAVAILABLE',
      'Reading HDF5 needs a Web Worker (the read runs there with a time bound, so a hostile file cannot hang the page), and this environment has none. Load .h5 files in a browser page or a Node process.',
    );
  }
  const w = new Worker(new URL('./h5-worker-web.mjs', import.meta.url), { type: 'module' });
  const listeners = new Set<ReaderThreadHandlers>();
  w.addEventListener('message', (e: MessageEvent) => {
    for (const h of listeners) h.message(e.data);
  });
  w.addEventListener('error', (e: ErrorEvent) => {
    e.preventDefault(); // reported to the waiting request below, not as an uncaught page error
    const error = new Error(e.message || 'the reader worker script failed to load');
    for (const h of listeners) h.error(error);
  });
  w.addEventListener('messageerror', () => {
    for (const h of listeners) h.error(new Error('a message from the reader worker could not be decoded'));
  });
  return {
    postMessage: (message, transfer) => w.postMessage(message, transfer),
    listen(h) {
      listeners.add(h);
      return () => listeners.delete(h);
    },
    terminate() {
      w.terminate();
      for (const h of [...listeners]) h.exit(0);
    },
    unref() {},
  };
}
