// MNIST as a dataset from the pixels of each digit, wherever they were read: no file access here,
// so the browser's fetch-based loader (mnist-fetch.ts) and Node's (mnist.ts) share it.

import { fail } from '../ir/errors.js';
import { randomBits } from '../ir/random.js';
import { permutation, split, type Dataset } from './dataset.js';

export const MNIST_PIXELS = 784;

/**
 * The pixels of one digit's samples from the text of `mnist/src/digits/<d>.json` ({ data: number[] },
 * 784 values per sample); `where` names the file in the error a malformed one gives.
 */
export function parseMnistDigit(text: string, where: string): Float32Array {
  let values: unknown;
  try {
    values = (JSON.parse(text) as { data?: unknown }).data;
  } catch (e) {
    return fail('data', `cannot read the MNIST digits file '${where}' (${(e as Error).message})`);
  }
  if (!Array.isArray(values) || values.length % MNIST_PIXELS !== 0) {
    fail('data', `'${where}' should hold { data: number[] } with ${MNIST_PIXELS} values per sample`);
  }
  return Float32Array.from(values as number[]);
}

/** Samples per digit for a subset of `count`: as equal as the classes allow, extras to the lower digits. */
function quotas(available: readonly number[], count: number): number[] {
  const take = available.map(() => 0);
  let left = count;
  // Water-filling: share what is left among the digits that still have samples to give.
  while (left > 0) {
    const open = available.map((_, d) => d).filter((d) => take[d]! < available[d]!);
    const share = Math.floor(left / open.length);
    if (share === 0) {
      for (const d of open.slice(0, left)) take[d]!++;
      break;
    }
    for (const d of open) {
      const give = Math.min(share, available[d]! - take[d]!);
      take[d]! += give;
      left -= give;
    }
  }
  return take;
}

export interface MnistOptions {
  /** Take a class-balanced subset of this many samples (default: all 10,000). */
  count?: number;
  /** Chooses which samples of each digit a subset holds (default 0). */
  seed?: number;
}

/**
 * MNIST as a dataset. Samples are interleaved by digit (sample 0 of digits 0..9, then sample 1
 * of each, ...; a digit that runs out drops out of the rotation). With `count`, each digit
 * contributes a seeded choice of its samples (kept in file order), so the same count and seed
 * always give the same subset, and a smaller count's subset lies inside a larger one's.
 */
export function mnistFromDigits(digits: readonly Float32Array[], options: MnistOptions = {}): Dataset {
  const available = digits.map((px) => px.length / MNIST_PIXELS);
  const total = available.reduce((a, b) => a + b, 0);
  const { count, seed = 0 } = options;
  if (count !== undefined && (!Number.isInteger(count) || count < 0 || count > total)) {
    fail('usage', `loadMnist: count must be an integer from 0 to ${total}, got ${count}`);
  }
  if (!Number.isInteger(seed)) fail('usage', `loadMnist: seed must be an integer, got ${seed}`);

  // The sample indices each digit contributes, in file order.
  const quota = count === undefined ? undefined : quotas(available, count);
  const chosen = available.map((n, d) =>
    quota === undefined
      ? Int32Array.from({ length: n }, (_, i) => i)
      : // An independent stream per digit; a prefix of one permutation, so subsets nest.
        permutation(n, randomBits(seed, d) | 0)
          .slice(0, quota[d])
          .sort(),
  );

  const size = chosen.reduce((a, c) => a + c.length, 0);
  const x = new Float32Array(size * MNIST_PIXELS);
  const y = new Int32Array(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    for (let d = 0; d < 10; d++) {
      const k = chosen[d]![i];
      if (k === undefined) continue;
      x.set(digits[d]!.subarray(k * MNIST_PIXELS, (k + 1) * MNIST_PIXELS), at * MNIST_PIXELS);
      y[at++] = d;
    }
  }
  return {
    size,
    columns: Object.freeze({
      x: { dtype: 'f32' as const, shape: [MNIST_PIXELS], data: x },
      y: { dtype: 'i32' as const, shape: [], data: y },
    }),
  };
}

/** MNIST from the digits' pixels, split into train, validation and test (ratios default [8, 1, 1]), shuffled with `seed`. */
export function mnistSplitsFromDigits(digits: readonly Float32Array[], options: MnistSplitOptions = {}): MnistSplits {
  const ratios = options.ratios ?? [8, 1, 1];
  if (!Array.isArray(ratios) || ratios.length !== 3) fail('usage', `mnistSplits: ratios must list three parts (train, validation, test), got [${String(ratios)}]`);
  const ds = mnistFromDigits(digits, options);
  const [train, validation, test] = split(ds, ratios, { seed: options.seed ?? 0 });
  return { train: train!, validation: validation!, test: test! };
}

export interface MnistSplitOptions extends MnistOptions {
  /** Train, validation and test parts (default [8, 1, 1]). */
  ratios?: number[];
}

export interface MnistSplits {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}
