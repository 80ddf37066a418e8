import * as tf from '@tensorflow/tfjs';
import { FAST_BACKENDS, registerFastKernels } from './kernels.ts';
import { setPreferRelaxedSimd } from './wasm.ts';

/**
 * Which fused paths are on; all by default. Programs switch them with `setFastPaths` (the CLI reads
 * `KERASPECT_FAST`: `0`/`none` turns them off, `rnn` or `attention` picks one); the library reads no
 * environment.
 */
export interface FastPaths {
  recurrent: boolean;
  attention: boolean;
  /**
   * Run the kernels' relaxed-SIMD build (fused multiply-add) where the JavaScript engine compiles it
   * (Chrome/Edge ≥ 114, Node ≥ 22, Node 20 with `--experimental-wasm-relaxed-simd`), else SIMD128.
   * Results differ between the two by float32 rounding only. Default true.
   */
  relaxedSimd: boolean;
}

let paths: FastPaths = { recurrent: true, attention: true, relaxedSimd: true };

/**
 * Turn the fused kernels on or off (both by default; the op-by-op TF.js paths are the reference);
 * `true`/`false` sets both paths and leaves `relaxedSimd` as it is. Returns the previous setting.
 */
export function setFastPaths(next: Partial<FastPaths> | boolean): FastPaths {
  const prev = paths;
  paths = typeof next === 'boolean' ? { ...paths, recurrent: next, attention: next } : { ...paths, ...next };
  setPreferRelaxedSimd(paths.relaxedSimd);
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
