// The Node worker thread that reads HDF5 files for read/h5-tree.ts (plain JavaScript: see h5-dump.mjs).
import { parentPort } from 'node:worker_threads';
import { serve } from './h5-serve.mjs';

serve({
  post: (message, transfer) => parentPort.postMessage(message, transfer),
  onMessage: (fn) => parentPort.on('message', fn),
});
