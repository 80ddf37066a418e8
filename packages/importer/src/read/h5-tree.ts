/**
 * Reads a whole HDF5 file into a plain tree (`DumpNode`) — in Node in a worker thread, so that a
 * corrupt file which sends HDF5 into an endless loop, aborts the wasm instance or exhausts its
 * memory costs a terminated worker and a `KeraspectError`, never the caller's process. The worker
 * is started once, kept (unref'd) for later reads, and replaced after a timeout or abort.
 * Where worker threads are not available (browsers) the same reader runs in this thread.
 */
import h5wasm from 'h5wasm';
import { KeraspectError } from '../errors.ts';
import { formatLimitValue, type Limits } from '../limits.ts';
// biome-ignore lint/correctness/useImportExtensions: the module is plain JS (shared with the worker); types come from h5-dump.d.mts
import { type DumpLimits, type DumpNode, type DumpResult, dumpH5 } from './h5-dump.mjs';
import { describeBytes, findHdf5Signature, h5, h5ErrorSummary, h5Module, uniquePath } from './h5wasm.ts';

export type { DumpNode };

/** HDF5 objects a Keras file may hold before it is treated as hostile. */
const MAX_NODES = 200_000;
/** Group nesting depth (Keras nests 5 deep; deeper means a hard-link cycle or a hostile file). */
const MAX_DEPTH = 64;

type WorkerLike = import('node:worker_threads').Worker;

let worker: WorkerLike | null = null;
let queue: Promise<unknown> = Promise.resolve();
let requestId = 0;
let workersAvailable: boolean | undefined;
/** Workers whose h5wasm has loaded (told us `{ ready: true }`). */
const ready = new WeakSet<WorkerLike>();

/**
 * The tree of an HDF5 file (groups, datasets with values, attributes). Fails with `NOT_HDF5` when
 * the bytes are not HDF5, `CORRUPT_FILE` when HDF5 cannot open or read them (also when the reader
 * aborted or ran out of memory), `LIMIT` when a dataset is over `maxTensorElements`/`maxParams` or
 * the read takes longer than `maxReadMs`.
 */
export async function readH5Tree(bytes: Uint8Array, label: string, limits: Limits): Promise<DumpNode> {
  if (findHdf5Signature(bytes) < 0) {
    throw new KeraspectError(
      'NOT_HDF5',
      `${label} is not an HDF5 file: it is ${describeBytes(bytes)}. Keras .h5 files start with the HDF5 signature "\\x89HDF\\r\\n\\x1a\\n".`,
    );
  }
  const dumpLimits: DumpLimits = {
    maxTensorElements: limits.maxTensorElements,
    maxTotalElements: limits.maxParams,
    maxNodes: MAX_NODES,
    maxDepth: MAX_DEPTH,
  };
  const run = queue.then(() => dump(bytes, dumpLimits, limits.maxReadMs));
  queue = run.catch(() => {});
  const res = await run;
  if (res.ok) return res.root;
  if (res.stage === 'timeout') {
    throw new KeraspectError(
      'LIMIT',
      `Reading ${label.replace(/^The /, 'the ')} as HDF5 did not finish within limits.maxReadMs = ${formatLimitValue('maxReadMs', limits.maxReadMs)} and was stopped: a corrupt file can send HDF5 into an endless loop. ` +
        `If the file is large and you trust it, raise the limit: loadModel(bytes, { limits: { maxReadMs: ${limits.maxReadMs * 4} } }).`,
    );
  }
  if (res.stage === 'limit' && res.limit === 'maxDepth') {
    throw new KeraspectError(
      'CORRUPT_FILE',
      `${label} is an HDF5 file but its groups nest deeper than ${MAX_DEPTH} levels (a link cycle): it is corrupt or hostile.`,
    );
  }
  if (res.stage === 'limit') {
    throw new KeraspectError(
      'CORRUPT_FILE',
      `${label} is an HDF5 file with more than ${MAX_NODES.toLocaleString('en-US')} objects; Keras files have a few per layer. It is corrupt or hostile.`,
    );
  }
  const what =
    res.stage === 'open'
      ? 'could not be opened'
      : res.stage === 'crash'
        ? 'crashed the HDF5 reader'
        : 'could not be read';
  const detail =
    res.stage === 'crash'
      ? res.error.message.slice(0, 200)
      : res.error.aborted
        ? `HDF5 aborted: ${res.error.message.split('\n')[0].slice(0, 200)}`
        : h5ErrorSummary(new Error(res.error.message));
  throw new KeraspectError(
    'CORRUPT_FILE',
    `${label} is an HDF5 file but ${what}${detail ? ` (${detail})` : ''}: it is truncated or corrupt. Download or save it again.`,
  );
}

type Result =
  | DumpResult
  | { ok: false; stage: 'timeout' | 'crash'; error: { message: string; name: string; aborted: boolean } };

async function dump(bytes: Uint8Array, limits: DumpLimits, timeoutMs: number): Promise<Result> {
  const w = await getWorker();
  if (!w) return dumpHere(bytes, limits);
  const id = ++requestId;
  return new Promise<Result>((resolve) => {
    let fallback = false;
    const done = (r: Result, kill: boolean) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      if (kill) retire(w);
      // Idle workers must not keep the process alive (adding listeners refs them again).
      else w.unref();
      resolve(fallback ? dumpHere(bytes, limits) : r);
    };
    const onMessage = (m: (Result & { id: number }) | { ready: true }) => {
      if ('ready' in m) return;
      if (m.id !== id) return;
      // An aborted wasm instance cannot be trusted with the next file.
      done(m, !m.ok && m.error.aborted);
    };
    const onError = (e: Error) => {
      if (!ready.has(w)) return unusable(e);
      done({ ok: false, stage: 'crash', error: { message: e.message, name: e.name, aborted: true } }, true);
    };
    const onExit = (code: number) => {
      done(
        {
          ok: false,
          stage: 'crash',
          error: { message: `the reader thread exited with code ${code}`, name: 'Exit', aborted: true },
        },
        true,
      );
    };
    // A worker whose module cannot even load (no loader for it here): read in this thread from now on.
    const unusable = (_e: Error) => {
      workersAvailable = false;
      fallback = true;
      done({ ok: false, stage: 'crash', error: { message: '', name: '', aborted: false } }, true);
    };
    const timer = setTimeout(
      () => done({ ok: false, stage: 'timeout', error: { message: 'timeout', name: 'Timeout', aborted: false } }, true),
      timeoutMs,
    );
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage({ id, bytes, limits });
  });
}

/**
 * Stop the HDF5 reader thread (Node). A read in progress fails with `CORRUPT_FILE`; the next read
 * starts a new thread. The thread is unref'd and never keeps a process alive, so calling this is
 * only needed to free its memory early.
 */
export function stopHdf5Reader(): void {
  if (worker) retire(worker);
}

function retire(w: WorkerLike): void {
  if (worker === w) worker = null;
  void w.terminate();
}

async function getWorker(): Promise<WorkerLike | null> {
  if (worker) return worker;
  if (workersAvailable === false) return null;
  let Worker: typeof import('node:worker_threads').Worker;
  try {
    ({ Worker } = await import('node:worker_threads'));
    workersAvailable = true;
  } catch {
    workersAvailable = false;
    return null;
  }
  const w = new Worker(new URL('./h5-worker.mjs', import.meta.url));
  // A worker that dies between reads is simply replaced on the next read.
  w.on('exit', () => {
    if (worker === w) worker = null;
  });
  w.on('error', () => {});
  w.on('message', (m: { ready?: boolean }) => {
    if (m.ready) ready.add(w);
  });
  w.unref();
  worker = w;
  return w;
}

/** The same read in this thread (no worker threads): not protected against endless loops. */
async function dumpHere(bytes: Uint8Array, limits: DumpLimits): Promise<Result> {
  await h5();
  const module = h5Module('Reading an HDF5 file');
  const path = uniquePath('read');
  try {
    module.FS.writeFile(path, bytes);
    return dumpH5(h5wasm, path, limits);
  } catch (e) {
    return {
      ok: false,
      stage: 'read',
      error: {
        message: (e as Error)?.message ?? String(e),
        name: 'Error',
        aborted: e instanceof WebAssembly.RuntimeError,
      },
    };
  } finally {
    try {
      module.FS.unlink(path);
    } catch {
      // never written or already gone
    }
  }
}
