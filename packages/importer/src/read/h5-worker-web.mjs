// The browser Web Worker (module type) that reads HDF5 files for read/h5-tree.ts.
import { serve } from './h5-serve.mjs';

serve({
  post: (message, transfer) => self.postMessage(message, transfer),
  onMessage: (fn) => self.addEventListener('message', (e) => fn(e.data)),
});
