// One `lbctl daemon` per state directory: the second one is refused with the first one's pid.
import { acquireLock, LockHeldError, lockStatus, type HeldLock } from './lock.js';
import { describeHolder, formatHolder, type LockHolder } from './holder.js';
import { daemonLockPath } from './paths.js';

export const DAEMON_STALE_MS = 20_000;

export async function acquireDaemonLock(stateDir: string, holder: LockHolder = describeHolder(), onCompromised?: (err: Error) => void): Promise<HeldLock> {
  try {
    return await acquireLock({ name: 'daemon', path: daemonLockPath(stateDir), holder, staleMs: DAEMON_STALE_MS, waitMs: 0, onCompromised });
  } catch (err) {
    if (err instanceof LockHeldError) {
      const who = err.holder ? formatHolder(err.holder) : 'an unknown process';
      throw new LockHeldError('daemon', err.holder, `another lbctl daemon is running for ${stateDir}: ${who}`);
    }
    throw err;
  }
}

/** The running daemon's holder record (pid, since), or null. */
export function runningDaemon(stateDir: string): LockHolder | null {
  const status = lockStatus(daemonLockPath(stateDir), DAEMON_STALE_MS);
  return status.held ? status.holder : null;
}
