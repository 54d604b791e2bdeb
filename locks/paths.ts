// Where each lock lives inside the state directory.
import { join } from 'node:path';

export function locksDir(stateDir: string): string {
  return join(stateDir, 'locks');
}
export function commitLockPath(stateDir: string): string {
  return join(locksDir(stateDir), 'commit.lock');
}
export function exclusiveLockPath(stateDir: string): string {
  return join(locksDir(stateDir), 'configure-exclusive.lock');
}
export function daemonLockPath(stateDir: string): string {
  return join(locksDir(stateDir), 'daemon.lock');
}
