// The runtime's own SHA-256 (runtime/sha256.ts) against Node's: known vectors, every length
// across the padding boundaries, chunked updates, and a megabyte.

import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Sha256 } from '../../runtime/sha256.js';

const node = (...chunks: Uint8Array[]): string => chunks.reduce((h, c) => h.update(c), createHash('sha256')).digest('hex');
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + ((i * i) >> 3)) & 255);

describe('sha256', () => {
  test('known vectors', () => {
    expect(new Sha256().update('').hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update('abc').hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().update('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq').hex()).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('every length from 0 to 300 bytes equals node:crypto, in one piece and in chunks', () => {
    for (let n = 0; n <= 300; n++) {
      const data = bytes(n, n);
      expect(new Sha256().update(data).hex(), `length ${n}`).toBe(node(data));
      const cut = (n * 7) % (n + 1);
      expect(new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut)).hex(), `length ${n} cut at ${cut}`).toBe(node(data));
    }
  });

  test('a megabyte', () => {
    const data = bytes(1 << 20, 3);
    expect(new Sha256().update(data).hex()).toBe(node(data));
  });
});
