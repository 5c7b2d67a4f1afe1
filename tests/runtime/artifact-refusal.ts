// What the artifact suites expect of a refused artifact: a KilnRuntimeError with code 'artifact', whose message they then check.

import { expect } from 'vitest';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { rejectionOf } from '../catch-kiln.js';

function artifactMessage(e: unknown): string {
  expect(e).toBeInstanceOf(KilnRuntimeError);
  expect((e as KilnRuntimeError).code).toBe('artifact');
  return (e as Error).message;
}

/** The message of the refusal `fn` throws; fails when it throws none. */
export function refusalSync(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return artifactMessage(e);
  }
  throw new Error('expected an artifact refusal');
}

/** The message of the refusal a promise rejects with. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  return artifactMessage(await rejectionOf(p));
}
