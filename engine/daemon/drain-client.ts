// The client side of the drain requests: the shell asks the daemon of the state directory. Null when no daemon
// answers: then the shell's own engine host applies the drain (engine/drain/drains.ts, in-process).
import { askDaemon } from './health-client.js';
import { DRAIN_METHOD, DRAINS_METHOD } from './drain-requests.js';
import type { DrainRequest } from '../drain/decide.js';
import type { DrainResult, DrainRow } from '../drain/drains.js';

/** Drain or resume through the daemon (null: no daemon). Throws DaemonError with the refusal's sentence. */
export function daemonDrain(stateDir: string, req: DrainRequest, timeoutMs = 70_000): Promise<DrainResult | null> {
  return askDaemon<DrainResult>(stateDir, DRAIN_METHOD, req, timeoutMs);
}

/** The daemon's drains with their connections now (null: no daemon). */
export function daemonDrains(stateDir: string, service?: string, timeoutMs = 10_000): Promise<DrainRow[] | null> {
  return askDaemon<DrainRow[]>(stateDir, DRAINS_METHOD, service !== undefined ? { service } : {}, timeoutMs);
}
