import * as tf from '@tensorflow/tfjs';
import { FAST_BACKENDS, registerFastKernels } from './kernels.ts';

/** Which fused paths are on; all by default. `KERASPECT_FAST=0` (or `none`) turns them off, `rnn` or `attention` picks one. */
export interface FastPaths {
  recurrent: boolean;
  attention: boolean;
}

function fromEnv(): FastPaths {
  const v = (typeof process !== 'undefined' ? process.env.KERASPECT_FAST : undefined)?.toLowerCase();
  if (v === undefined || v === '' || v === '1' || v === 'all') return { recurrent: true, attention: true };
  if (v === '0' || v === 'none' || v === 'off') return { recurrent: false, attention: false };
  const parts = v.split(',');
  return { recurrent: parts.includes('rnn'), attention: parts.includes('attention') };
}

let paths: FastPaths = fromEnv();

/**
 * Turn the fused kernels on or off (both by default; the op-by-op TF.js paths are the reference).
 * Returns the previous setting.
 */
export function setFastPaths(next: Partial<FastPaths> | boolean): FastPaths {
  const prev = paths;
  paths = typeof next === 'boolean' ? { recurrent: next, attention: next } : { ...paths, ...next };
  return prev;
}

/** Whether the fused `kind` path can run now: switched on, kernels loadable, backend cpu or wasm. */
export function fastPathAvailable(kind: keyof FastPaths): boolean {
  return paths[kind] && (FAST_BACKENDS as readonly string[]).includes(tf.getBackend()) && registerFastKernels();
}
