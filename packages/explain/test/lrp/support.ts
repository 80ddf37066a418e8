import { type KerasModel, type NdArray, predict } from '@keraspect/importer';
export { explain } from '../../src/index.ts';

/** The model's first output, flat. */
export function predictSafe(km: KerasModel, x: NdArray): Float32Array {
  return predict(km, x)[0].data as Float32Array;
}
