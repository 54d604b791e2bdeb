// `configure exclusive`: a session holds this lock for as long as it stays in configuration mode; other
// sessions may look but the store refuses their commits. It names its holder, and it frees itself when the
// holding process dies (pid check at once; proper-lockfile's mtime staleness as the fallback).
import { acquireLock, LockHeldError, lockStatus, type HeldLock } from './lock.js';
import { describeHolder, formatHolder, type LockHolder } from './holder.js';
import { exclusiveLockPath } from './paths.js';

/** Refreshed every 15 s; only a holder on another host (shared state) relies on this staleness. */
export const EXCLUSIVE_STALE_MS = 30_000;

export function exclusiveLockMessage(holder: LockHolder | null, now: Date = new Date()): string {
  return `configuration locked exclusively by ${holder ? formatHolder(holder, now) : 'an unknown process'}`;
}

/** Takes the exclusive lock or throws LockHeldError("configuration locked exclusively by alice (pid …) since …"). */
export async function acquireExclusiveLock(stateDir: string, holder: LockHolder = describeHolder()): Promise<HeldLock> {
  try {
    return await acquireLock({
      name: 'configure exclusive',
      path: exclusiveLockPath(stateDir),
      holder,
      staleMs: EXCLUSIVE_STALE_MS,
      waitMs: 0,
    });
  } catch (err) {
    if (err instanceof LockHeldError) throw new LockHeldError('configure exclusive', err.holder, exclusiveLockMessage(err.holder));
    throw err;
  }
}

/** The live holder of the exclusive lock, or null when nobody (alive) holds it. */
export function exclusiveLockHolder(stateDir: string): LockHolder | null {
  const status = lockStatus(exclusiveLockPath(stateDir), EXCLUSIVE_STALE_MS);
  return status.held ? status.holder : null;
}
