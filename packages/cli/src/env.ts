import { type BackendName, type FastPaths, initBackend, setFastPaths } from '@keraspect/importer';
import { CliError } from './errors.ts';
import { enableRelaxedSimd } from './relaxed-simd.ts';

/**
 * The environment variables Keraspect's programs (the CLI, bench, scripts) read — the libraries read
 * none and take these as options:
 * - `KERASPECT_BACKEND=tensorflow|wasm|cpu` forces the compute backend (`initBackend({ backend })`);
 * - `KERASPECT_FAST=0|none|off` switches the fused kernels off, `rnn` or `attention` (comma-separated)
 *   keeps those, `1`/`all`/unset keeps all (`setFastPaths`);
 * - `KERASPECT_RELAXED_SIMD=0` keeps the fused kernels on WebAssembly SIMD128 (no fused multiply-add;
 *   `setFastPaths({ relaxedSimd: false })`); unset or `1`, programs enable relaxed SIMD on Node 20,
 *   where V8 has it behind a flag (see {@link enableRelaxedSimd}).
 */
export interface KeraspectEnv {
  KERASPECT_BACKEND?: string;
  KERASPECT_FAST?: string;
  KERASPECT_RELAXED_SIMD?: string;
}

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** The backend `KERASPECT_BACKEND` names, or undefined when unset. */
export function backendFromEnv(env: KeraspectEnv): BackendName | undefined {
  const v = env.KERASPECT_BACKEND?.trim().toLowerCase();
  if (!v) return undefined;
  if (!(BACKENDS as readonly string[]).includes(v))
    throw new CliError(`KERASPECT_BACKEND must be ${BACKENDS.join(', ')} or unset (got '${env.KERASPECT_BACKEND}').`);
  return v as BackendName;
}

/** The fused paths `KERASPECT_FAST` asks for, or undefined when unset. */
export function fastPathsFromEnv(env: KeraspectEnv): Pick<FastPaths, 'recurrent' | 'attention'> | undefined {
  const v = env.KERASPECT_FAST?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (v === '1' || v === 'all') return { recurrent: true, attention: true };
  if (v === '0' || v === 'none' || v === 'off') return { recurrent: false, attention: false };
  const parts = v.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => p !== 'rnn' && p !== 'attention');
  if (unknown.length)
    throw new CliError(
      `KERASPECT_FAST must be 0, none, off, 1, all, or a comma list of rnn and attention (got '${env.KERASPECT_FAST}').`,
    );
  return { recurrent: parts.includes('rnn'), attention: parts.includes('attention') };
}

/** Whether `KERASPECT_RELAXED_SIMD` allows relaxed SIMD (unset, `1`: yes; `0`: no). */
export function relaxedSimdFromEnv(env: KeraspectEnv): boolean {
  const v = env.KERASPECT_RELAXED_SIMD?.trim().toLowerCase();
  if (v === undefined || v === '' || v === '1' || v === 'on') return true;
  if (v === '0' || v === 'off') return false;
  throw new CliError(`KERASPECT_RELAXED_SIMD must be 0, off, 1, on or unset (got '${env.KERASPECT_RELAXED_SIMD}').`);
}

/**
 * Apply `KERASPECT_BACKEND`, `KERASPECT_FAST` and `KERASPECT_RELAXED_SIMD` from `env` (a program's
 * `process.env`) through the libraries' options. Fails with a `CliError` naming a bad value.
 */
export async function configureFromEnv(env: KeraspectEnv): Promise<void> {
  const fast = fastPathsFromEnv(env);
  const backend = backendFromEnv(env);
  const relaxedSimd = relaxedSimdFromEnv(env);
  if (relaxedSimd) enableRelaxedSimd();
  setFastPaths({ ...fast, relaxedSimd });
  if (backend) await initBackend({ backend });
}
