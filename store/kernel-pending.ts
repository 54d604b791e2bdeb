// The kernel and the revision store are two durable things that one change touches in turn: a commit changes the
// kernel first and records the revision second; a `commit confirmed` rollback records the rollback revision
// first and sets the kernel back second. A process killed between the two leaves them disagreeing, and nothing
// else says so. This record closes that window: it is written (and fsynced) before the first of the two changes
// and removed after the second. Whoever starts next (daemon, shell, apply, status: engine/recover.ts) and finds
// it with its writer gone makes the kernel run the store's running revision, which is always the side to trust:
// a commit that reached the store stands, one that did not is undone, a recorded rollback is carried out.
import { join } from 'node:path';
import { readIfExists, unlinkDurable, writeFileAtomic } from './atomic.js';

export const KERNEL_PENDING_FILE = 'kernel-pending.json';

export interface KernelPending {
  /** What was between the kernel and the store. */
  why: 'commit' | 'confirm-rollback';
  /** The writer; the record is stale only once it is gone. */
  pid: number;
  user: string;
  /** ISO-8601. */
  since: string;
  /** The running revision when the change began. */
  base: number;
  comment?: string;
  /** `commit confirmed N`: the minutes asked for (the deadline is the store's once the commit is recorded). */
  confirmMinutes?: number;
}

export function kernelPendingPath(stateDir: string): string {
  return join(stateDir, KERNEL_PENDING_FILE);
}

export function markKernelPending(stateDir: string, record: KernelPending): void {
  writeFileAtomic(kernelPendingPath(stateDir), JSON.stringify(record) + '\n', 0o644);
}

export function clearKernelPending(stateDir: string): void {
  unlinkDurable(kernelPendingPath(stateDir));
}

/** The record, or null; a damaged one still means "something was in between" (its fields unknown). */
export function readKernelPending(stateDir: string): KernelPending | null {
  const text = readIfExists(kernelPendingPath(stateDir));
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as KernelPending;
    if (typeof r.pid === 'number' && typeof r.base === 'number') return r;
  } catch {
    /* torn: fall through */
  }
  return { why: 'commit', pid: 0, user: '?', since: '', base: -1 };
}
