/**
 * A pool of worker threads that each load the same Keras model once and then evaluate row chunks
 * of a batch, so batch work uses every core. Each worker runs the same kernels on the same chunk a
 * single thread would, so results are identical to one thread (tested, not assumed: see
 * test/parallel/pool.test.ts). Node only: `node:worker_threads` is imported when a pool starts, so
 * the package's static imports stay free of Node built-ins (for the browser build).
 */
import type { Worker } from 'node:worker_threads';
import { batches, concatRows, copyRows } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import { fail, ImporterError, type ImporterErrorCode } from '../errors.ts';
import type { KerasModelJson } from '../keras-format/types.ts';
import { fastPaths } from '../layers/fast/switch.ts';
import type { ImportOptions } from '../model.ts';
import type { NdArray } from '../predict.ts';

/**
 * The model a pool loads in every worker: the bytes `loadModel` takes, or a Keras config with the
 * TF.js weights of its layers (for models built in code, as `modelFromConfig` makes them); options
 * must be cloneable (functions such as `lambdas` cannot cross threads and are refused).
 */
export type ModelSource =
  | { bytes: Uint8Array; options?: Omit<ImportOptions, 'lambdas'> }
  | {
      config: KerasModelJson;
      /** Per layer name, the layer's TF.js weights in `layer.weights` order. */
      weights: Record<string, NdArray[]>;
      options?: Omit<ImportOptions, 'lambdas' | 'weights' | 'architecture'>;
    };

/** Options of {@link createModelPool}. */
export interface PoolOptions {
  /** Worker threads. Default: the machine's available parallelism. */
  threads?: number;
  /**
   * Modules (file URLs or paths) each worker imports after loading the model; each exports
   * `handlers: Record<string, (km, payload) => result>` that {@link ModelPool.call} can run.
   */
  handlers?: string[];
  /** TF.js backend of the workers. Default: the backend in use in this thread. */
  backend?: string;
  /**
   * Rebuild the caller's own error classes from a worker's serialized error (the handlers' package
   * knows its classes; the importer revives only `ImporterError`). Return undefined to fall back.
   */
  revive?: (error: SerializedError) => Error | undefined;
}

/** Options of {@link ModelPool.predict}. */
export interface PoolPredictOptions {
  /** Rows per task. Default: the batch split into equal tasks of at most 64 rows, a multiple of the workers in number ({@link poolChunks}). */
  chunkSize?: number;
}

/**
 * How a pool splits `batch` rows by default: `[start, end)` ranges of at most `maxChunk` rows, as
 * many as the smallest multiple of `threads` allows (never more than `batch`), whose sizes differ by
 * at most one row (the larger first), so every worker gets the same work. (Fixed-size chunks leave
 * a worker idle: 200 rows in chunks of 64 put 128 rows on one of two workers and 72 on the other.)
 */
export function poolChunks(batch: number, threads: number, maxChunk: number): [number, number][] {
  if (!(batch > 0)) return [];
  const n = Math.min(batch, Math.ceil(Math.ceil(batch / maxChunk) / threads) * threads);
  const small = Math.floor(batch / n);
  const big = batch % n;
  const out: [number, number][] = [];
  for (let i = 0, s = 0; i < n; i++) {
    const e = s + small + (i < big ? 1 : 0);
    out.push([s, e]);
    s = e;
  }
  return out;
}

/** Worker threads that each hold the model; close it when done. */
export interface ModelPool {
  readonly threads: number;
  /** The model's outputs for `inputs`, evaluated in row chunks across the workers (same result as `predict`). */
  predict(inputs: NdArray | NdArray[], options?: PoolPredictOptions): Promise<NdArray[]>;
  /** Run handler `name` (from a `handlers` module) on some worker with `payload`. */
  call<R = unknown>(name: string, payload: unknown, transfer?: ArrayBuffer[]): Promise<R>;
  /** Stop the workers. Pending calls fail. */
  close(): Promise<void>;
}

interface Task {
  id: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface WorkerSlot {
  worker: Worker;
  busy: number;
  tasks: Map<number, Task>;
}

/** How a worker is started: the TS source through tsx (ts-worker.mjs) when running from source, else the compiled file. */
function workerEntry(): { url: URL; entry: string | null } {
  if (!import.meta.url.endsWith('.ts')) return { url: new URL('./worker.js', import.meta.url), entry: null };
  return { url: new URL('./ts-worker.mjs', import.meta.url), entry: new URL('./worker.ts', import.meta.url).href };
}

/**
 * Start `threads` workers, each loading `source` once. Fails with the worker's own error when the
 * model does not load (as `loadModel` would).
 */
export async function createModelPool(source: ModelSource, options: PoolOptions = {}): Promise<ModelPool> {
  const [{ Worker }, { availableParallelism }, { pathToFileURL }] = await Promise.all([
    import('node:worker_threads'),
    import('node:os'),
    import('node:url'),
  ]);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1)
    fail('BAD_ARGUMENT', `threads must be a positive integer, got ${JSON.stringify(options.threads)}.`);
  if ((source.options as ImportOptions | undefined)?.lambdas)
    fail(
      'BAD_ARGUMENT',
      'A model pool cannot send Lambda functions to its worker threads; evaluate models with lambdas in this thread.',
    );
  const { url, entry } = workerEntry();
  const handlers = (options.handlers ?? []).map((h) => (h.startsWith('file:') ? h : pathToFileURL(h).href));
  const backend = options.backend ?? tf.getBackend();
  let nextId = 1;
  const slots: WorkerSlot[] = [];
  const start = (): Promise<WorkerSlot> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url, {
        // The workers run with this thread's fused-kernel switches (setFastPaths), as they run its backend.
        workerData: {
          entry,
          source: { ...source, options: source.options ?? {} },
          handlers,
          backend,
          fast: fastPaths(),
        },
      });
      const slot: WorkerSlot = { worker, busy: 0, tasks: new Map() };
      const failAll = (e: Error) => {
        for (const t of slot.tasks.values()) t.reject(e);
        slot.tasks.clear();
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') return resolve(slot);
        if (m.type === 'init-error') return reject(revive(m.error, options.revive));
        const task = slot.tasks.get(m.id);
        if (!task) return;
        slot.tasks.delete(m.id);
        slot.busy--;
        if (m.type === 'result') task.resolve(m.result);
        else task.reject(revive(m.error, options.revive));
      });
      worker.on('error', (e) => {
        reject(e);
        failAll(e);
      });
      worker.on('exit', (code) => {
        const e = new Error(
          `A model pool worker stopped with exit code ${code} while work was pending (out of memory, or a Keraspect bug: please report it).`,
        );
        reject(e);
        failAll(e);
      });
    });
  try {
    slots.push(...(await Promise.all(Array.from({ length: threads }, start))));
  } catch (e) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }
  let closed = false;
  const call = <R>(name: string, payload: unknown, transfer: ArrayBuffer[] = []): Promise<R> => {
    if (closed) return Promise.reject(new ImporterError('BAD_ARGUMENT', 'This model pool is closed.'));
    const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = nextId++;
    slot.busy++;
    return new Promise<R>((resolve, reject) => {
      slot.tasks.set(id, { id, resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ type: 'task', id, name, payload }, transfer);
    });
  };
  return {
    threads,
    call,
    async predict(inputs, opts = {}) {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const batch = list[0]?.shape[0] ?? 0;
      const ranges = opts.chunkSize === undefined ? poolChunks(batch, threads, 64) : batches(batch, opts.chunkSize);
      const parts: Promise<NdArray[]>[] = [];
      for (const [s, e] of ranges) {
        // Each chunk is a fresh copy, so its buffers move to the worker instead of being cloned.
        const chunk = list.map((x) => copyRows(x, s, e));
        parts.push(call<NdArray[]>('predict', chunk, ownBuffers(chunk)));
      }
      if (!parts.length) return call<NdArray[]>('predict', list);
      const chunks = await Promise.all(parts);
      return chunks[0].map((_, o) => concatRows(chunks.map((c) => c[o])));
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/** The buffers of freshly copied arrays (each its buffer's only view), to transfer with a task. */
export function ownBuffers(arrays: readonly NdArray[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of arrays) {
    const b = a.data.buffer;
    if (b instanceof ArrayBuffer && a.data.byteOffset === 0 && a.data.byteLength === b.byteLength && !out.includes(b))
      out.push(b);
  }
  return out;
}

/** Messages from a worker. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: SerializedError };

/** An error as it crosses threads. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, code: (err as { code?: string }).code, stack: err.stack };
}

function revive(s: SerializedError, custom?: (error: SerializedError) => Error | undefined): Error {
  const e =
    custom?.(s) ??
    (s.name === 'ImporterError' && s.code
      ? new ImporterError(s.code as ImporterErrorCode, s.message)
      : Object.assign(new Error(s.message), { name: s.name, code: s.code }));
  if (s.stack) e.stack = s.stack;
  return e;
}
