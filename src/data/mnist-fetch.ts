// The MNIST digits of the `mnist` package read over HTTP, for the browser (mnist.ts reads them
// with node:fs): the same ten `src/digits/<d>.json` files, so the same count and seed give the
// same subsets and splits as loadMnist and mnistSplits.

import { fail } from '../ir/errors.js';
import { mnistFromDigits, mnistSplitsFromDigits, parseMnistDigit, type MnistOptions, type MnistSplitOptions, type MnistSplits } from './mnist-digits.js';
import type { Dataset } from './dataset.js';

/** Pixels of each digit's samples from `<base>/<d>.json`, base being the URL of the package's `src/digits` folder. */
export async function fetchMnistDigits(base: string | URL): Promise<Float32Array[]> {
  const folder = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  return Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const url = new URL(`${d}.json`, folder).href;
      const response = await fetch(url).catch((e: unknown) => fail('data', `cannot fetch the MNIST digits file '${url}' (${(e as Error).message})`));
      if (!response.ok) fail('data', `cannot fetch the MNIST digits file '${url}' (HTTP ${response.status})`);
      return parseMnistDigit(await response.text(), url);
    }),
  );
}

/** loadMnist over HTTP: the digits from `base` (see fetchMnistDigits). */
export async function fetchMnist(base: string | URL, options: MnistOptions = {}): Promise<Dataset> {
  return mnistFromDigits(await fetchMnistDigits(base), options);
}

/** mnistSplits over HTTP: the digits from `base` (see fetchMnistDigits). */
export async function fetchMnistSplits(base: string | URL, options: MnistSplitOptions = {}): Promise<MnistSplits> {
  return mnistSplitsFromDigits(await fetchMnistDigits(base), options);
}
