// The check of a kernel's schedule (kernel-ir.ts, KernelSchedule) in a program from anywhere: a
// renderer trusts its numbers (vector widths, tile sizes, the axis it shares out), so each must
// be a known key holding a small positive integer of the allowed values.

import type { KernelSchedule } from './kernel-ir.js';
import { isObject, show } from './program-validator.js';

const KEYS = ['parallel', 'upcast', 'reduceUpcast', 'reduceGroup', 'reduceSplit', 'tile', 'workgroup'];
/** Every count is rendered as an i32 constant. */
const MAX_COUNT = 2 ** 31 - 1;
/** The widths a vector may have. */
const LANES = [1, 4];

const isPositive = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_COUNT;

/** An object with only the given keys, or a refusal naming the first other one. */
function known(raw: unknown, keys: readonly string[], what: string, err: (m: string) => never): Record<string, unknown> {
  if (!isObject(raw)) err(`${what} must be an object, got ${show(raw)}`);
  const other = Object.keys(raw).find((key) => !keys.includes(key));
  if (other !== undefined) err(`${what} has unknown key ${show(other)} (known: ${keys.join(', ')})`);
  return raw;
}

/** A clean copy of the schedule of a kernel of output rank `rank` (with a reduction when `reduces`). */
export function parseSchedule(raw: unknown, rank: number, reduces: boolean, what: string, err: (m: string) => never): KernelSchedule {
  const r = known(raw, KEYS, `${what} schedule`, err);
  const positive = (v: unknown, field: string): number => (isPositive(v) ? v : err(`${what} schedule: ${field} must be a positive integer up to ${MAX_COUNT}, got ${show(v)}`));
  const lanes = (v: unknown, field: string): 1 | 4 => (LANES.includes(v as number) ? (v as 1 | 4) : err(`${what} schedule: ${field} must be 1 or 4, got ${show(v)}`));
  const s: KernelSchedule = { upcast: lanes(r.upcast, 'upcast'), reduceUpcast: lanes(r.reduceUpcast, 'reduceUpcast'), reduceGroup: positive(r.reduceGroup, 'reduceGroup') };
  if (r.reduceSplit !== undefined) s.reduceSplit = positive(r.reduceSplit, 'reduceSplit');
  if (!reduces && (s.reduceUpcast > 1 || s.reduceGroup > 1 || (s.reduceSplit ?? 1) > 1)) err(`${what} schedule folds a reduction the kernel does not have`);
  if (r.parallel !== undefined) {
    const p = known(r.parallel, ['axis', 'maxShares'], `${what} schedule parallel`, err);
    if (!Number.isSafeInteger(p.axis) || (p.axis as number) < 0 || (p.axis as number) >= rank)
      err(`${what} schedule: parallel axis ${show(p.axis)} is not an output axis (the kernel has ${rank})`);
    s.parallel = { axis: p.axis as number, ...(p.maxShares !== undefined ? { maxShares: positive(p.maxShares, 'parallel maxShares') } : {}) };
  }
  if (r.tile !== undefined) {
    const t = known(r.tile, ['m', 'n', 'stage'], `${what} schedule tile`, err);
    s.tile = { m: positive(t.m, 'tile m'), n: positive(t.n, 'tile n'), ...(t.stage !== undefined ? { stage: positive(t.stage, 'tile stage') } : {}) };
  }
  if (r.workgroup !== undefined) {
    const w = r.workgroup;
    if (!Array.isArray(w) || w.length < 1 || w.length > 3) err(`${what} schedule: workgroup must be 1 to 3 sizes, got ${show(w)}`);
    s.workgroup = w.map((v, i) => positive(v, `workgroup[${i}]`));
  }
  return s;
}
