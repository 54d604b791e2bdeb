// What a change left between the kernel and the store, read without opening the store: a `commit confirmed` whose
// deadline passed without its rollback, and a kernel-pending record (store/kernel-pending.ts). While either is
// there the kernel may run something no operator was told: `lbctl status` and the shell's status views say so.
import { join } from 'node:path';
import { readIfExists } from './atomic.js';
import { readKernelPending, type KernelPending } from './kernel-pending.js';
import { CONFIRM_FILE } from './state-names.js';
import type { PendingConfirm } from './store.js';

export interface Unsettled {
  overdue: PendingConfirm | null;
  pending: KernelPending | null;
}

/** The store's pending `commit confirmed`, when its deadline has passed. */
export function overdueConfirm(stateDir: string, now = Date.now()): PendingConfirm | null {
  try {
    const text = readIfExists(join(stateDir, CONFIRM_FILE));
    const p = text ? (JSON.parse(text) as PendingConfirm) : null;
    return p && new Date(p.deadline).getTime() <= now ? p : null;
  } catch {
    return null;
  }
}

export function unsettledChanges(stateDir: string): Unsettled {
  return { overdue: overdueConfirm(stateDir), pending: readKernelPending(stateDir) };
}
