// What the comparison's libraries share: the runner types, the seeded data (MLP weights and
// batches, matrices, the elementwise input) and the error for a workload a library cannot express.

export type Output = ArrayLike<number>;

/** One library set up for one workload: each call does the whole work and returns the result on the host. */
export interface Runner {
  run(): Promise<Output> | Output;
  notes?: string[];
  /** Notes known only after the timed runs (e.g. counts per run), printed after `notes`. */
  summary?(): string[];
}

export interface Entry {
  library: string;
  make(): Promise<Runner> | Runner;
}

// ---- data ---------------------------------------------------------------------------------

/** A seeded uniform generator in [lo, hi) (mulberry32), so every library sees the same numbers. */
export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32);
  });
}

export const LAYERS: readonly (readonly [number, number])[] = [
  [784, 256],
  [256, 256],
  [256, 10],
];
export const CLASSES = 10;
export const LR = 0.01;

export interface Layer {
  w: Float32Array;
  b: Float32Array;
  n: number;
  m: number;
}

export function mlpWeights(): Layer[] {
  return LAYERS.map(([n, m], i) => {
    const s = Math.sqrt(6 / (n + m));
    return { w: uniform(n * m, -s, s, 11 + i), b: uniform(m, -0.1, 0.1, 21 + i), n, m };
  });
}

export function mlpBatch(batch: number): { x: Float32Array; y: Int32Array } {
  const y = Int32Array.from(uniform(batch, 0, CLASSES, 2), Math.floor);
  return { x: uniform(batch * LAYERS[0]![0], 0, 1, 1), y };
}

/** FLOPs in the MLP's matmuls: forward, or forward + backward (no input gradient for the first layer). */
export function mlpFlops(batch: number, training: boolean): number {
  const forward = LAYERS.reduce((s, [n, m]) => s + 2 * batch * n * m, 0);
  return training ? 3 * forward - 2 * batch * LAYERS[0]![0] * LAYERS[0]![1] : forward;
}

export const EW_SIZE = 2 ** 20;
export const EW_A = 1.5;
export const EW_B = -0.25;

/** A library that cannot express a workload throws this; the table shows n/a and the reason. */
export class NotAvailable extends Error {}

export const matA = (n: number) => uniform(n * n, -1, 1, 100 + n);
export const matB = (n: number) => uniform(n * n, -1, 1, 200 + n);
export const ewInput = () => uniform(EW_SIZE, -4, 4, 300);
