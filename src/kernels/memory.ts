// Memory planning: every temp buffer gets a 16-byte-aligned offset in one arena, reusing the bytes of temps that are no longer live and writing in place over an input that dies where it is read only at the point being computed.
//
//   before: t1 (64 B), t2 (64 B), t3 (64 B) in a chain t1 -> t2 -> t3, no offsets, arenaBytes 0
//   after:  t1 @0, t2 @0 (in place over t1), t3 @0 (in place over t2), arenaBytes 64
//
// Liveness is over the schedule: a temp lives from the first kernel that writes it to the last
// kernel that reads it (to the end when an output or update needs it). Temps sharing bytes by
// being written in place form one block; blocks are placed largest first, each at the best-fitting
// gap among the blocks already placed that are live at the same time (greedy by size).

import { alignUp } from '../../runtime/artifact.js';
import { kernelReads, liveIntervals, readsOnlyAtPoint } from '../../runtime/kernel-analysis.js';
import type { BufferSpec, KernelProgram } from '../../runtime/kernel-ir.js';

/** Bytes a temp takes in the arena: 4 per element, rounded up to the alignment. */
function blockBytes(b: BufferSpec): number {
  return alignUp(4 * b.shape.reduce((n, d) => n * d, 1));
}

/** Temps that share one place: a chain written in place, live from `first` to `last`. */
interface Block {
  members: string[];
  bytes: number;
  first: number;
  last: number;
  offset?: number;
}

/** The sum of all temps' sizes: what the arena would take with no reuse at all. */
export function totalTempBytes(p: KernelProgram): number {
  return p.buffers.filter((b) => b.role === 'temp').reduce((s, b) => s + blockBytes(b), 0);
}

/**
 * The largest total size of temps live at one moment (at a kernel, or after the last when
 * outputs and updates are read): no placement without in-place writes can use less, and the
 * planner is measured against it. Sizes are rounded up to the 16-byte alignment.
 */
export function liveLowerBound(p: KernelProgram): number {
  const sizes = new Map(p.buffers.filter((b) => b.role === 'temp').map((b) => [b.name, blockBytes(b)]));
  const delta = new Array<number>(p.kernels.length + 2).fill(0);
  for (const [name, { first, last }] of liveIntervals(p)) {
    delta[first]! += sizes.get(name)!;
    delta[last + 1]! -= sizes.get(name)!;
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) peak = Math.max(peak, (live += d));
  return peak;
}

/** Groups temps into blocks, merging an output into a dying input it may overwrite in place. */
function inPlaceBlocks(p: KernelProgram, live: Map<string, { first: number; last: number }>, bytes: Map<string, number>): Block[] {
  const numel = new Map(p.buffers.map((b) => [b.name, b.shape.reduce((n, d) => n * d, 1)]));
  const blockOf = new Map<string, Block>();
  for (const [name, iv] of live) blockOf.set(name, { members: [name], bytes: bytes.get(name)!, first: iv.first, last: iv.last });
  p.kernels.forEach((k, at) => {
    // Hosts: temps read here for the last time, read only at the point, ending their block.
    const hosts = [...kernelReads(k)].filter((b) => {
      const blk = blockOf.get(b);
      return blk !== undefined && blk.last === at && blk.members[blk.members.length - 1] === b && readsOnlyAtPoint(k, b);
    });
    for (const store of k.stores) {
      const out = blockOf.get(store.buffer);
      if (!out || out.members.length !== 1 || out.first !== at) continue;
      // Element p of the output must land where element p of the input was: equal counts.
      const i = hosts.findIndex((b) => numel.get(b) === numel.get(store.buffer));
      if (i < 0) continue;
      const host = blockOf.get(hosts[i]!)!;
      hosts.splice(i, 1);
      host.members.push(store.buffer);
      host.last = out.last;
      blockOf.set(store.buffer, host);
    }
  });
  return [...new Set(blockOf.values())];
}

/** Places blocks largest first, each in the smallest gap left by the placed blocks whose lives overlap its own. */
function place(blocks: Block[]): number {
  const order = [...blocks].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const placed: Block[] = [];
  let arena = 0;
  for (const blk of order) {
    const busy = placed.filter((o) => o.first <= blk.last && blk.first <= o.last).sort((a, b) => a.offset! - b.offset!);
    let best: { offset: number; gap: number } | undefined;
    let cursor = 0;
    for (const o of busy) {
      const gap = o.offset! - cursor;
      if (gap >= blk.bytes && (!best || gap < best.gap)) best = { offset: cursor, gap };
      cursor = Math.max(cursor, o.offset! + o.bytes);
    }
    blk.offset = best ? best.offset : cursor;
    placed.push(blk);
    arena = Math.max(arena, blk.offset + blk.bytes);
  }
  return arena;
}

/**
 * Returns the program with every temp at an arena offset and arenaBytes set; the input is not
 * changed. Run it after the in-place-updates stage (src/passes/pipeline.ts): a parameter updated in
 * place by its kernel leaves no temp to place.
 */
export function planMemory(p: KernelProgram): KernelProgram {
  const temps = p.buffers.filter((b) => b.role === 'temp');
  const bytes = new Map(temps.map((b) => [b.name, blockBytes(b)]));
  const live = liveIntervals(p);
  const blocks = inPlaceBlocks(p, live, bytes).filter((blk) => blk.bytes > 0);
  const arenaBytes = place(blocks);
  const offsets = new Map(blocks.flatMap((blk) => blk.members.map((m) => [m, blk.offset!] as const)));
  // A temp never written is never live: any offset will do.
  const buffers = p.buffers.map((b) => (b.role === 'temp' ? { ...b, offset: offsets.get(b.name) ?? 0 } : { ...b }));
  return { ...p, buffers, arenaBytes };
}
