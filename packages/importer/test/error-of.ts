import { expect } from 'vitest';
import { ImporterError } from '../src/errors.ts';

/** The `ImporterError` that `fn` throws; fails the test when it throws anything else or nothing. */
export function errorOf(fn: () => unknown): ImporterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImporterError);
    return e as ImporterError;
  }
  throw new Error('expected an ImporterError');
}
