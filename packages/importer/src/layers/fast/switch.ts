import * as tf from '@tensorflow/tfjs';
import { FAST_BACKENDS, registerFastKernels } from './kernels.ts';

/**
 * Which fused paths are on; all by default. Programs switch them with `setFastPaths` (the CLI reads
 * `KERASPECT_FAST`: `0`/`none` turns them off, `rnn` or `attention` picks one); the library reads no
 * environment.
 */
export interface FastPaths {
  recurrent: boolean;
  attention: boolean;
}

let paths: FastPaths = { recurrent: true, attention: true };

/**
 * Turn the fused kernels on or off (both by default; the op-by-op TF.js paths are the reference).
 * Returns the previous setting.
 */
export function setFastPaths(next: Partial<FastPaths> | boolean): FastPaths {
  const prev = paths;
  paths = typeof next === 'boolean' ? { recurrent: next, attention: next } : { ...paths, ...next };
  return prev;
}

/** The fused paths switched on now (a copy). */
export function fastPaths(): FastPaths {
  return { ...paths };
}

/** Whether the fused `kind` path can run now: switched on, kernels loadable, backend cpu or wasm. */
export function fastPathAvailable(kind: keyof FastPaths): boolean {
  return paths[kind] && (FAST_BACKENDS as readonly string[]).includes(tf.getBackend()) && registerFastKernels();
}
