import { describe, expect, it } from 'vitest';
import { backendFromEnv, fastPathsFromEnv } from '../src/env.ts';
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
});
