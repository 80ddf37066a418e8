/**
 * Reads a whole HDF5 file into a plain tree (`DumpNode`) in a reader thread — a `worker_threads`
 * Worker in Node, a module Web Worker in browsers (read/reader-thread.ts) — so that a corrupt file
 * which sends HDF5 into an endless loop, aborts the wasm instance or exhausts its memory costs a
 * terminated thread and an `ImporterError`, never the caller's process or page. The thread is
 * started once, kept (unref'd) for later reads, and replaced after a timeout or abort. There is no
 * in-thread fallback: a thread that cannot start is a `READER_UNAVAILABLE` error, because reading
 * without the time bound would let a hostile file hang the caller.
 */
import { startReaderThread } from '#reader-thread';
import { ImporterError } from '../errors.ts';
import { formatLimitValue, type Limits } from '../limits.ts';
// biome-ignore lint/correctness/useImportExtensions: the module is plain JS (shared with the worker); types come from h5-dump.d.mts
import type { DumpLimits, DumpNode, DumpResult } from './h5-dump.mjs';
import { describeBytes, findHdf5Signature, h5ErrorSummary } from './h5wasm.ts';
import type { ReaderThread, StartReaderThread } from './reader-thread.ts';

export type { DumpNode };

/** HDF5 objects a Keras file may hold before it is treated as hostile. */
const MAX_NODES = 200_000;
/** Group nesting depth (Keras nests 5 deep; deeper means a hard-link cycle or a hostile file). */
const MAX_DEPTH = 64;

let worker: ReaderThread | null = null;
let start: StartReaderThread = startReaderThread;
/**
 * How long a new reader thread may take to load h5wasm before it counts as unavailable. Kept apart
 * from `maxReadMs`, which bounds the read itself: on a busy machine or a slow page, compiling
 * h5wasm can take longer than a small file's whole read budget.
 */
const START_MS = 60_000;
let startMs = START_MS;
let queue: Promise<unknown> = Promise.resolve();
let requestId = 0;
/** Threads whose h5wasm has loaded (told us `{ ready: true }`). */
const ready = new WeakSet<ReaderThread>();

/**
 * The tree of an HDF5 file (groups, datasets with values, attributes). Fails with `NOT_HDF5` when
 * the bytes are not HDF5, `CORRUPT_FILE` when HDF5 cannot open or read them (also when the reader
 * aborted or ran out of memory), `LIMIT` when a dataset is over `maxTensorElements`/`maxParams` or
 * the read takes longer than `maxReadMs`.
 */
export async function readH5Tree(bytes: Uint8Array, label: string, limits: Limits): Promise<DumpNode> {
  if (findHdf5Signature(bytes) < 0) {
    throw new ImporterError(
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
  if (res.stage === 'unavailable') {
    throw new ImporterError(
      'READER_UNAVAILABLE',
      `The HDF5 reader thread could not start (${res.error.message || 'no reason given'}), so ${label.replace(/^The /, 'the ')} was not read. ` +
        'This is a problem of the installation or the bundle, not of the file: reinstall @keraspect/importer; when bundling for a browser, ' +
        "use a bundler that emits the worker of `new Worker(new URL('./h5-worker-web.mjs', import.meta.url))` (Vite and webpack 5 do).",
    );
  }
  if (res.stage === 'timeout') {
    throw new ImporterError(
      'LIMIT',
      `Reading ${label.replace(/^The /, 'the ')} as HDF5 did not finish within limits.maxReadMs = ${formatLimitValue('maxReadMs', limits.maxReadMs)} and was stopped: a corrupt file can send HDF5 into an endless loop. ` +
        `If the file is large and you trust it, raise the limit: loadModel(bytes, { limits: { maxReadMs: ${limits.maxReadMs * 4} } }).`,
    );
  }
  if (res.stage === 'limit' && res.limit === 'maxDepth') {
    throw new ImporterError(
      'CORRUPT_FILE',
      `${label} is an HDF5 file but its groups nest deeper than ${MAX_DEPTH} levels (a link cycle): it is corrupt or hostile.`,
    );
  }
  if (res.stage === 'limit') {
    throw new ImporterError(
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
  throw new ImporterError(
    'CORRUPT_FILE',
    `${label} is an HDF5 file but ${what}${detail ? ` (${detail})` : ''}: it is truncated or corrupt. Download or save it again.`,
  );
}

type Result =
  | DumpResult
  | {
      ok: false;
      stage: 'timeout' | 'crash' | 'unavailable';
      error: { message: string; name: string; aborted: boolean };
    };

async function dump(bytes: Uint8Array, limits: DumpLimits, timeoutMs: number): Promise<Result> {
  let w: ReaderThread;
  try {
    w = getWorker();
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    return {
      ok: false,
      stage: 'unavailable',
      error: { message: (e as Error)?.message ?? String(e), name: 'Error', aborted: false },
    };
  }
  const id = ++requestId;
  return new Promise<Result>((resolve) => {
    const done = (r: Result, kill: boolean) => {
      clearTimeout(timer);
      unlisten();
      if (kill) retire(w);
      // Idle workers must not keep the process alive (adding listeners refs them again).
      else w.unref();
      resolve(r);
    };
    const unavailable = (message: string) =>
      done({ ok: false, stage: 'unavailable', error: { message, name: 'Error', aborted: false } }, true);
    const unlisten = w.listen({
      message(raw) {
        const m = raw as (Result & { id: number }) | { ready: true } | { ready: false; error: string };
        if ('ready' in m) {
          if (!m.ready) return unavailable(`h5wasm did not load: ${m.error}`);
          ready.add(w);
          arm('read');
          return;
        }
        if (m.id !== id) return;
        // An aborted wasm instance cannot be trusted with the next file.
        done(m, !m.ok && m.error.aborted);
      },
      error(e) {
        // Before it said it is ready, the thread's module itself failed to load.
        if (!ready.has(w)) return unavailable(e.message);
        done({ ok: false, stage: 'crash', error: { message: e.message, name: e.name, aborted: true } }, true);
      },
      exit(code) {
        if (!ready.has(w)) return unavailable(`the reader thread exited with code ${code} before it was ready`);
        done(
          {
            ok: false,
            stage: 'crash',
            error: { message: `the reader thread exited with code ${code}`, name: 'Exit', aborted: true },
          },
          true,
        );
      },
    });
    // The read's time bound starts once the thread has loaded h5wasm; until then the start bound runs.
    let timer: ReturnType<typeof setTimeout> | undefined;
    function arm(phase: 'start' | 'read'): void {
      clearTimeout(timer);
      timer =
        phase === 'read'
          ? setTimeout(
              () =>
                done(
                  { ok: false, stage: 'timeout', error: { message: 'timeout', name: 'Timeout', aborted: false } },
                  true,
                ),
              timeoutMs,
            )
          : setTimeout(() => unavailable(`the reader thread did not load h5wasm within ${startMs / 1000} s`), startMs);
    }
    arm(ready.has(w) ? 'read' : 'start');
    w.postMessage({ id, bytes, limits }, []);
  });
}

/**
 * Start the HDF5 reader thread now, so that it loads h5wasm while the caller loads the rest (TF.js):
 * the first read then finds it ready. Optional — every read starts the thread when there is none — and
 * never throws: a thread that cannot start is reported by the read that needs it. Imports no TF.js, so
 * a program can call it first (`@keraspect/importer/hdf5-reader`).
 */
export function startHdf5Reader(): void {
  try {
    getWorker();
  } catch {
    // The read that needs the thread says why it could not start.
  }
}

/**
 * Stop the HDF5 reader thread. A read in progress fails with `CORRUPT_FILE`; the next read starts a
 * new thread. The thread is unref'd and never keeps a process alive, so calling this is only needed
 * to free its memory early.
 */
export function stopHdf5Reader(): void {
  if (worker) retire(worker);
}

/**
 * Replace how reader threads are started (tests use it to start one that cannot load); no argument
 * restores the default. `startTimeoutMs` bounds how long a new thread may take to load h5wasm
 * (default 60 s) before the read fails with `READER_UNAVAILABLE`. Stops the current thread.
 */
export function setReaderThreadStarter(starter?: StartReaderThread, startTimeoutMs = START_MS): void {
  stopHdf5Reader();
  start = starter ?? startReaderThread;
  startMs = startTimeoutMs;
}

function retire(w: ReaderThread): void {
  if (worker === w) worker = null;
  w.terminate();
}

function getWorker(): ReaderThread {
  if (worker) return worker;
  const w = start();
  // A thread that dies between reads is simply replaced on the next read.
  w.listen({
    message: (m) => {
      if ((m as { ready?: boolean }).ready) ready.add(w);
    },
    error: () => {},
    exit: () => {
      if (worker === w) worker = null;
    },
  });
  w.unref();
  worker = w;
  return w;
}
