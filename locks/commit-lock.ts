// The commit lock: held for the few milliseconds of a commit (the store's compare-and-swap and its file writes),
// so commits from any number of processes are serialised. Waiters queue for up to `waitMs`.
import { acquireLock, LockHeldError, type HeldLock } from './lock.js';
import { describeHolder, formatHolder, type LockHolder } from './holder.js';
import { commitLockPath } from './paths.js';

export const COMMIT_LOCK_WAIT_MS = 30_000;

export interface CommitLockOptions {
  holder?: LockHolder;
  waitMs?: number;
}

export async function acquireCommitLock(stateDir: string, opts: CommitLockOptions = {}): Promise<HeldLock> {
  const waitMs = opts.waitMs ?? COMMIT_LOCK_WAIT_MS;
  try {
    return await acquireLock({
      name: 'commit',
      path: commitLockPath(stateDir),
      holder: opts.holder ?? describeHolder(),
      waitMs,
    });
  } catch (err) {
    if (err instanceof LockHeldError) {
      const who = err.holder ? formatHolder(err.holder) : 'an unknown process';
      throw new LockHeldError('commit', err.holder, `commit lock still held by ${who} after waiting ${waitMs} ms`);
    }
    throw err;
  }
}

/** Runs `fn` while holding the commit lock; always releases. */
export async function withCommitLock<T>(stateDir: string, fn: (lock: HeldLock) => T | Promise<T>, opts: CommitLockOptions = {}): Promise<T> {
  const lock = await acquireCommitLock(stateDir, opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
