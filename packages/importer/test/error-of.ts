import { expect } from 'vitest';
import { KeraspectError } from '../src/errors.ts';

/** The `KeraspectError` that `fn` throws; fails the test when it throws anything else or nothing. */
export function errorOf(fn: () => unknown): KeraspectError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeraspectError);
    return e as KeraspectError;
  }
  throw new Error('expected a KeraspectError');
}
