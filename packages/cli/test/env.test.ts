import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendFromEnv, fastPathsFromEnv, relaxedSimdFromEnv } from '../src/env.ts';
import { CliError } from '../src/errors.ts';

describe('the environment is read by the CLI and passed to the libraries as options', () => {
  it('KERASPECT_BACKEND names a backend or is unset', () => {
    expect(backendFromEnv({})).toBeUndefined();
    expect(backendFromEnv({ KERASPECT_BACKEND: ' CPU ' })).toBe('cpu');
    expect(backendFromEnv({ KERASPECT_BACKEND: 'wasm' })).toBe('wasm');
    expect(() => backendFromEnv({ KERASPECT_BACKEND: 'gpu' })).toThrow(CliError);
    expect(() => backendFromEnv({ KERASPECT_BACKEND: 'gpu' })).toThrow(/KERASPECT_BACKEND.*'gpu'/);
  });

  it('KERASPECT_FAST switches the fused paths, and a bad value is named', () => {
    expect(fastPathsFromEnv({})).toBeUndefined();
    expect(fastPathsFromEnv({ KERASPECT_FAST: '0' })).toEqual({ recurrent: false, attention: false });
    expect(fastPathsFromEnv({ KERASPECT_FAST: 'all' })).toEqual({ recurrent: true, attention: true });
    expect(fastPathsFromEnv({ KERASPECT_FAST: 'rnn' })).toEqual({ recurrent: true, attention: false });
    expect(fastPathsFromEnv({ KERASPECT_FAST: 'attention, rnn' })).toEqual({ recurrent: true, attention: true });
    expect(() => fastPathsFromEnv({ KERASPECT_FAST: 'lstm' })).toThrow(/KERASPECT_FAST.*'lstm'/);
  });

  it('KERASPECT_RELAXED_SIMD allows or forbids the relaxed-SIMD kernels, and a bad value is named', () => {
    expect(relaxedSimdFromEnv({})).toBe(true);
    expect(relaxedSimdFromEnv({ KERASPECT_RELAXED_SIMD: '1' })).toBe(true);
    expect(relaxedSimdFromEnv({ KERASPECT_RELAXED_SIMD: ' OFF ' })).toBe(false);
    expect(relaxedSimdFromEnv({ KERASPECT_RELAXED_SIMD: '0' })).toBe(false);
    expect(() => relaxedSimdFromEnv({ KERASPECT_RELAXED_SIMD: 'fma' })).toThrow(/KERASPECT_RELAXED_SIMD.*'fma'/);
  });

  it('enableRelaxedSimd makes a fresh process run the relaxed-SIMD kernels (a flag on Node 20)', () => {
    // A fresh process: the test processes have it on already (vitest setup).
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const script = `
      const wasm = await import(${JSON.stringify(join(src, 'importer/src/layers/fast/wasm.ts'))});
      const { enableRelaxedSimd } = await import(${JSON.stringify(join(src, 'cli/src/relaxed-simd.ts'))});
      const on = enableRelaxedSimd();
      wasm.setPreferRelaxedSimd(false);
      const off = wasm.kernelInstructionSet();
      wasm.setPreferRelaxedSimd(true);
      console.log(JSON.stringify([on, off, wasm.kernelInstructionSet()]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([true, 'simd128', 'relaxed-simd']);
  });
});
