// Starts a worker whose entry is TypeScript source (running from the repository, not a build):
// tsx compiles it in this thread, as the parent's loader hooks do not reach worker threads.
import { workerData } from 'node:worker_threads';

const { tsImport } = await import('tsx/esm/api');
await tsImport(workerData.entry, import.meta.url);
