// Distance between two f32 values in units in the last place, for tests that bound rounding.

const view = new DataView(new ArrayBuffer(4));

/** The f32's bits as a number line: adjacent floats differ by 1, and -0 and +0 meet at 0. */
function ordinal(x: number): number {
  view.setFloat32(0, x);
  const u = view.getUint32(0);
  return u >= 0x80000000 ? -(u - 0x80000000) : u;
}

/** Ulps between two f32 values (NaN is 0 from NaN, infinitely far from anything else). */
export function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ordinal(a) - ordinal(b));
}
