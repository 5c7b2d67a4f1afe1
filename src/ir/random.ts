// Counter-based random numbers: element i of a stream is a pure function of (seed, i), so any
// backend can compute any element independently, in any order, and every backend agrees.

/** A 32-bit integer mixer (lowbias32 by Chris Wellons' hash prospector): good avalanche, cheap. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The 32 random bits of element `i` of stream `seed`. */
export function randomBits(seed: number, i: number): number {
  return mix32((mix32(seed ^ 0x9e3779b9) + Math.imul(i, 0x85ebca6b)) | 0);
}

/** Uniform in [0, 1) with 24 bits, exactly representable in f32. */
export function uniform01(seed: number, i: number): number {
  return (randomBits(seed, i) >>> 8) * 2 ** -24;
}

/** Standard normal by Box–Muller over the uniforms 2i and 2i+1 of the stream. */
export function standardNormal(seed: number, i: number): number {
  const u1 = ((randomBits(seed, 2 * i) >>> 8) + 1) * 2 ** -24; // (0, 1]: log stays finite
  const u2 = uniform01(seed, 2 * i + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
