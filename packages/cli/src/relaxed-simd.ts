import { setFlagsFromString } from 'node:v8';

// (module (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  ...[0, 97, 115, 109, 1, 0, 0, 0], // "\0asm", version 1
  ...[1, 5, 1, 96, 0, 1, 123], // type section: () → v128
  ...[3, 2, 1, 0], // function section: one function of type 0
  ...[10, 61, 1, 59, 0], // code section: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]), // v128.const 0, three times
  ...[253, 133, 2, 11], // f32x4.relaxed_madd, end
]);

/**
 * Let this process's WebAssembly use relaxed SIMD, which the fused kernels' fastest build needs:
 * Node 20's V8 ships it behind `--experimental-wasm-relaxed-simd`, which this sets (the flag is
 * process-wide, so worker threads started later have it too). Does nothing where relaxed SIMD is
 * already on (Node ≥ 22). Call it before the first model is built. Returns whether it is on.
 */
export function enableRelaxedSimd(): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(RELAXED_PROBE);
}
