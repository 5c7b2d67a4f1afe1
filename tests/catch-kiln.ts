// The KilnError a call throws, for tests that assert on its code, message and span.

import { expect } from 'vitest';
import { KilnError } from '../src/ir/errors.js';

/** Calls `fn` and returns the KilnError it throws, failing the test when it throws nothing or something else. */
export function catchKiln(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return e as KilnError;
  }
  throw new Error('expected a KilnError, but nothing was thrown');
}

/** What `promise` rejects with, or undefined when it resolves: for asserting on an asynchronous failure. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}
