// The kernel IR: what fusion produces and every executor consumes (the JavaScript interpreter in
// runtime/, the Wasm and WGSL renderers later). A program is a list of buffers and a schedule of
// kernels. A kernel is a parallel iteration space over its output (one point per output
// element, row-major), optionally with reduction axes folded at each point; what it computes is
// a scalar expression tree whose leaves load buffers at index expressions over the loop
// variables. Movement ops (broadcast, transpose, slice, reshape, pad, concat) live only in those
// index expressions: they never copy. Plain data throughout, so programs serialize as JSON.

import type { BinaryFn, UnaryFn } from './kernel-fns.js';

export type KernelDType = 'f32' | 'i32' | 'bool';

// ---- index expressions ---------------------------------------------------------------------

/**
 * An integer expression over loop variables. Variables 0 .. rank-1 are the output axes of the
 * kernel; rank .. rank+r-1 are its reduction axes. `div` is floor division and `mod` the
 * non-negative remainder; both take positive constants.
 */
export type IndexExpr =
  | { k: 'var'; axis: number }
  | { k: 'const'; value: number }
  | { k: 'add'; a: IndexExpr; b: IndexExpr }
  | { k: 'mul'; a: IndexExpr; by: number }
  | { k: 'div'; a: IndexExpr; by: number }
  | { k: 'mod'; a: IndexExpr; by: number }
  /** An index read from data: the value of an i32 expression (gather's loaded indices). */
  /** An index read from data (gather); outside [0, size) it is an error at run time, as in the reference. */
  | { k: 'value'; v: ValueExpr; size: number };

// ---- value expressions ---------------------------------------------------------------------

/** The scalar functions are defined once, with their dtypes and costs, in kernel-fns.ts. */
export type { BinaryFn, UnaryFn };

/**
 * A scalar computed at one point of the iteration space. Every node states its result dtype;
 * the semantics of each function are those of the graph op of the same name (src/ir/ops), i32
 * arithmetic wrapping like Wasm and WGSL.
 */
export type ValueExpr =
  /** Element `index` (a flat row-major offset) of a buffer. */
  | { k: 'load'; buffer: string; index: IndexExpr; dtype: KernelDType }
  | { k: 'const'; value: number; dtype: KernelDType }
  | { k: 'unary'; fn: UnaryFn; a: ValueExpr; dtype: KernelDType }
  | { k: 'binary'; fn: BinaryFn; a: ValueExpr; b: ValueExpr; dtype: KernelDType }
  | { k: 'where'; cond: ValueExpr; a: ValueExpr; b: ValueExpr; dtype: KernelDType }
  | { k: 'cast'; a: ValueExpr; dtype: KernelDType }
  /** The value of an index expression, as i32 (one_hot compares it with an index). */
  | { k: 'index'; index: IndexExpr; dtype: 'i32' }
  /**
   * Element `counter` of a counter-based random stream (src/ir/random.ts): uniform in
   * [a, b) or normal with mean a and standard deviation b; `key` (an i32 scalar) is mixed in.
   */
  | { k: 'random'; dist: 'uniform' | 'normal'; seed: number; key?: ValueExpr; counter: IndexExpr; a: number; b: number; dtype: 'f32' }
  /** Inside a kernel's outputs: the reduction's result at this point. */
  | { k: 'acc'; dtype: KernelDType };

// ---- kernels and programs ------------------------------------------------------------------

/**
 * A reduction's order is the executor's choice, and so is a sum's rounding: the interpreter sums
 * in f64; Wasm in f32 runs of 256 folded into f64; WebGPU in f32, each output's terms in order
 * (matmul tiles, short reductions) or, where the schedule groups a reduction, as strided partial
 * sums merged by a tree. Against the reference a sum agrees within 1e-5 relative (plus 1e-6
 * absolute) up to 256 terms, and within 1e-4 beyond; max and argmax are exact on every executor.
 */
export interface Reduction {
  /** How values fold: sum; max (nan propagates); argmax (first index of the largest, i32). */
  op: 'sum' | 'max' | 'argmax';
  /** Sizes of the reduction axes (loop variables rank .. rank+r-1). */
  shape: number[];
  /** The value folded at each (point, reduction index). */
  value: ValueExpr;
}

export interface KernelStore {
  buffer: string;
  /** Stored at the point's row-major offset in `buffer` (as many elements as the kernel's space; its shape may be a reshape of it). */
  value: ValueExpr;
  /**
   * An f32 store of a guarded program's update: each stored value that is NaN or ±Infinity adds
   * 1 to element `index` of the i32 buffer `buffer` (the program's guard counts).
   */
  countNonFinite?: { buffer: string; index: number };
}

export interface Kernel {
  name: string;
  /** Renderer hint: 'matmul' when the reduction is a sum of products of two loads. */
  pattern: 'elementwise' | 'reduce' | 'matmul';
  /** The parallel iteration space: the output shape. */
  shape: number[];
  reduce?: Reduction;
  /** One or more stores over the same space (sibling outputs fused into one kernel). */
  stores: KernelStore[];
  /** How a compiled backend renders the kernel (src/kernels/schedule.ts chooses it); the interpreter ignores it. */
  schedule?: KernelSchedule;
}

/**
 * How a target renders one kernel: plain data chosen by one scheduling step per target
 * (src/kernels/schedule.ts) from the kernel and the device's limits, which the renderer follows
 * where it can (it falls back to plainer code, never to other results, where it cannot).
 */
export interface KernelSchedule {
  /**
   * Threads (wasm) or workgroups (webgpu) share out output axis `axis` (the axes before it run
   * whole in every share); `maxShares`: the most sharers worth having (a wasm matmul's row tiles,
   * since each thread packs its own panels of B). Absent: one thread runs the whole kernel (too
   * little work, or loads indexed by data, whose range error thread 0 must report).
   */
  parallel?: { axis: number; maxShares?: number };
  /** Consecutive outputs along the last axis computed together as one vector (wasm f32x4, WGSL vec4): 1 or 4. */
  upcast: 1 | 4;
  /** Consecutive steps of the last reduction axis folded together as one vector: 1 or 4. */
  reduceUpcast: 1 | 4;
  /** Threads that fold one output's reduction together: 1 folds it serially; above 1 a workgroup tree reduction (webgpu). */
  reduceGroup: number;
  /** Workgroups that share one output's reduction, each folding a chunk, then a second pass over their results (webgpu); absent or 1: one. */
  reduceSplit?: number;
  /**
   * A matmul's register tile: m rows by n columns of outputs per thread; `stage` (webgpu): steps
   * of k a workgroup copies into workgroup memory per pass (absent: read straight from storage).
   */
  tile?: { m: number; n: number; stage?: number };
  /** Invocations per workgroup along x, y (and z) (webgpu). */
  workgroup?: number[];
}

export type BufferRole = 'input' | 'param' | 'output' | 'temp' | 'const';

export interface BufferSpec {
  name: string;
  dtype: KernelDType;
  shape: number[];
  role: BufferRole;
  /** For 'temp' buffers: the byte offset in the arena the memory planner chose. */
  offset?: number;
  /** For 'const' buffers: the values, row-major. */
  data?: number[];
}

/** How a parameter gets its first value: an initializer of src/ir/init.ts by name. */
export interface ParamInit {
  fn: string;
  args: Record<string, number | string | boolean>;
}

export interface KernelProgram {
  name: string;
  buffers: BufferSpec[];
  /** Kernels in execution order; each reads only buffers written before it or given. */
  kernels: Kernel[];
  inputs: { name: string; buffer: string }[];
  outputs: { name: string; buffer: string }[];
  params: { name: string; buffer: string; init: ParamInit }[];
  /** After a run, parameter `param` takes the contents of `buffer`. */
  updates: { param: string; buffer: string }[];
  /**
   * A guarded program's updates are all or nothing: a run commits them only when every count
   * is 0, that is when no new value of any parameter is NaN or ±Infinity; otherwise every
   * parameter keeps the value it had before the run.
   */
  guard?: Guard;
  /** Bytes of the arena that holds every 'temp' buffer (4 bytes per element, any dtype). */
  arenaBytes: number;
}

export interface Guard {
  /**
   * An i32 buffer with one count per update (in the order of `updates`), zeroed by the executor
   * before each run, added to by the stores that carry `countNonFinite`; also an output.
   */
  counts: string;
  /**
   * For each update stored in place: a temp that the same kernel fills with the parameter's
   * values from before the run (a store of the parameter at the point), put back when a count is
   * not 0. An update from another buffer needs none: its copy is what is skipped.
   */
  backups: { param: string; buffer: string }[];
}
