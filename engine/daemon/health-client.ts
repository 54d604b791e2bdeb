// The client side of the health requests: `show health` and the lab's hand-set verdict ask the daemon of the
// state directory. Null when no daemon answers: then no checks run anywhere (a shell never probes).
import { DaemonConnection } from './client.js';
import { HEALTH_METHOD, SET_HEALTH_METHOD } from './health-requests.js';
import type { HealthReport, ManualHealthRequest, ManualHealthResult } from '../health/report.js';

/** One request to the daemon of `stateDir` on a connection of its own; null when no daemon answers. */
export async function askDaemon<T>(stateDir: string, method: string, params: unknown, timeoutMs: number): Promise<T | null> {
  const conn = await DaemonConnection.connect(stateDir, timeoutMs);
  if (!conn) return null;
  try {
    return await conn.call<T>(method, params, timeoutMs);
  } finally {
    conn.close();
  }
}

/** The daemon's health report (null: no daemon). Throws DaemonError for a refusal (unknown service, …). */
export function daemonHealth(stateDir: string, service?: string, timeoutMs = 5000): Promise<HealthReport | null> {
  return askDaemon<HealthReport>(stateDir, HEALTH_METHOD, service !== undefined ? { service } : {}, timeoutMs);
}

/** Set a lab backend's verdict by hand (null: no daemon). */
export function setDaemonHealth(stateDir: string, req: ManualHealthRequest, timeoutMs = 10_000): Promise<ManualHealthResult | null> {
  return askDaemon<ManualHealthResult>(stateDir, SET_HEALTH_METHOD, req, timeoutMs);
}
