/**
 * Regenerates `peak-wasm.ts` (the compiled modules, base64) from `peak.ts` with the AssemblyScript
 * compiler from npm: `pnpm tsx bench/wasm-peak/build.ts`. Two builds of the one source, as for the
 * kernels (scripts/build-wasm.ts): SIMD128, and relaxed SIMD with fused multiply-add. The output is
 * committed so the bench runs without a build step.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeWasmModules } from '../../scripts/lib/asc.ts';

const here = dirname(fileURLToPath(import.meta.url));
const common = ['-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd'];
writeWasmModules({
  source: join(here, 'peak.ts'),
  from: 'peak.ts',
  outTs: join(here, 'peak-wasm.ts'),
  generator: 'build.ts',
  builds: [
    { name: 'PEAK_WASM_BASE64', flags: common },
    { name: 'PEAK_RELAXED_WASM_BASE64', flags: [...common, '--enable', 'relaxed-simd'] },
  ],
});
