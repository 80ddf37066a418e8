/**
 * Regenerates `kernels-wasm.ts` (the compiled WebAssembly, base64) from `assembly/kernels.ts` in
 * `packages/importer/src/layers/fast/` with the AssemblyScript compiler from npm:
 * `pnpm tsx scripts/build-wasm.ts`.
 * Two modules come from the one source: one with WebAssembly SIMD128 only, and one that also uses
 * relaxed SIMD's fused multiply-add (`ASC_FEATURE_RELAXED_SIMD` in the source), which engines
 * without relaxed SIMD refuse to compile. The output is committed so that Keraspect runs without a
 * build step; re-run this after editing the kernels.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeWasmModules } from './lib/asc.ts';

const here = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'importer', 'src', 'layers', 'fast');
const common = ['-O3', '--runtime', 'stub', '--noAssert', '--initialMemory', '1', '--enable', 'simd'];
writeWasmModules({
  source: join(here, 'assembly', 'kernels.ts'),
  from: 'assembly/kernels.ts',
  outTs: join(here, 'kernels-wasm.ts'),
  generator: 'build-wasm.ts',
  builds: [
    { name: 'KERNELS_WASM_BASE64', flags: common },
    { name: 'KERNELS_RELAXED_WASM_BASE64', flags: [...common, '--enable', 'relaxed-simd'] },
  ],
});
