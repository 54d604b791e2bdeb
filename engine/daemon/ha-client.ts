// The client side of the `ha` request: `show vrrp` and the shell's role line ask the daemon of the state
// directory. Null when no daemon answers (or an older one that does not serve it).
import { DaemonConnection, DaemonError } from './client.js';
import type { HaSnapshot } from '../ha/types.js';

/** The daemon's HA picture; null when no daemon answers, or it runs no watcher. */
export async function daemonHa(stateDir: string, timeoutMs = 2000): Promise<HaSnapshot | null> {
  const conn = await DaemonConnection.connect(stateDir, timeoutMs);
  if (!conn) return null;
  try {
    return await conn.call<HaSnapshot | null>('ha', {}, timeoutMs);
  } catch (e) {
    if (e instanceof DaemonError && e.type === 'unknown-method') return null;
    throw e;
  } finally {
    conn.close();
  }
}
