/** The HDF5 reader thread in Node: a `worker_threads.Worker` running h5-worker.mjs. */
import { Worker } from 'node:worker_threads';
import type { ReaderThread } from './reader-thread.ts';

export function startReaderThread(): ReaderThread {
  const w = new Worker(new URL('./h5-worker.mjs', import.meta.url));
  // Failures are reported to the request that is waiting (listen); between requests they only
  // retire the thread, and an unhandled 'error' event would crash the process.
  w.on('error', () => {});
  return {
    postMessage: (message, transfer) => w.postMessage(message, transfer as never),
    listen(h) {
      w.on('message', h.message);
      w.on('error', h.error);
      w.on('exit', h.exit);
      return () => {
        w.off('message', h.message);
        w.off('error', h.error);
        w.off('exit', h.exit);
      };
    },
    terminate: () => void w.terminate(),
    unref: () => w.unref(),
  };
}
