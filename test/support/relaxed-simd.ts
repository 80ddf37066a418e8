// vitest setup file: every test process may run the fused kernels' relaxed-SIMD build, as the CLI's
// processes do (Node 20 has relaxed SIMD behind a V8 flag); tests pick the build per case.
import { enableRelaxedSimd } from '../../packages/cli/src/relaxed-simd.ts';

enableRelaxedSimd();
