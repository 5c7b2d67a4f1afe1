// A small linearly separable set for the fit tests: class 1 where x0 + x1 > 0, every point at
// least 1 away from the boundary.

export const SEPARABLE_POINTS = [
  [2, 1],
  [1, 2],
  [3, -1],
  [-1, 3],
  [-2, -1],
  [-1, -2],
  [-3, 1],
  [1, -3],
];
export const SEPARABLE_LABELS = SEPARABLE_POINTS.map(([a, b]) => (a! + b! > 0 ? 1 : 0));
