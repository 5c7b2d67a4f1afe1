// The fixed inputs the artifact page (artifact.ts) runs its artifact on, from the input specs
// alone: f32 values in [-1, 1), i32 labels in [0, 10), bool alternating. Its test computes the
// same inputs in Node to get the reference's outputs. Imports nothing, so the page stays on runtime/.

export interface InputSpec {
  name: string;
  dtype: 'f32' | 'i32' | 'bool';
  shape: readonly number[];
}

export function pageInputs(specs: readonly InputSpec[]): Record<string, Float32Array | Int32Array | Uint8Array> {
  const out: Record<string, Float32Array | Int32Array | Uint8Array> = {};
  specs.forEach((s, k) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype === 'f32') out[s.name] = Float32Array.from({ length: n }, (_, i) => (((i * 37 + k * 11) % 101) - 50) / 50.5);
    else if (s.dtype === 'i32') out[s.name] = Int32Array.from({ length: n }, (_, i) => (i * 7 + k) % 10);
    else out[s.name] = Uint8Array.from({ length: n }, (_, i) => i % 2);
  });
  return out;
}
