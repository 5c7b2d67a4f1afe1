// The README stays true: every file of the repository it names exists, and its CSV example
// trains on the CSV that ships with the repository.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kiln } from '../cli/run-kiln.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  test('every repository path it names exists', () => {
    // Files (a name with an extension) and folders (a trailing slash) under the repository's own
    // folders, as written in code spans and commands; NAME is a placeholder.
    const named = [...readme.matchAll(/(?<![\w./-])((?:examples|docs|src|runtime|bench|tests|scripts|bin)\/[\w./-]*(?:\.\w+|\/))/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(20);
    const missing = [...new Set(named)].filter((p) => !p.includes('NAME') && !existsSync(p));
    expect(missing).toEqual([]);
  });

  test('the csv: example trains the logistic regression on examples/data/two-blobs.csv', async () => {
    const line = /npx kiln train (examples\/\S+\.kiln) --dataset csv:(examples\/data\/\S+\.csv) ([^\n#]*)/.exec(readme);
    expect(line).not.toBeNull();
    const [, model, csv, flags] = line!;
    const { code, out, err } = await kiln('train', model!, '--dataset', `csv:${csv!}`, ...flags!.trim().split(/\s+/), '--no-progress');
    expect([code, err]).toEqual([0, '']);
    const accuracy = Number(/^test {2}loss \d\.\d{4} {2}accuracy (\d\.\d{4})$/m.exec(out)?.[1]);
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
