// The control socket's drain requests, as handlers the server can register (ControlServerOptions.handlers):
//   drain   write  { action: drain|resume, address, port?, service?, timeoutS?, then? } → DrainResult
//   drains  read   { service? }                                                          → DrainRow[]
// The engine host keeps the drains (engine/drain/drains.ts); the server only routes. A refused request throws
// an Error whose message is the operator's sentence.
import type { EngineHost } from '../host.js';
import type { DrainRequest } from '../drain/decide.js';
import type { RequestRoute } from './health-requests.js';

export const DRAIN_METHOD = 'drain';
export const DRAINS_METHOD = 'drains';
/** How often the daemon looks whether draining backends have no connections left. */
export const DRAIN_FOLLOW_MS = 1000;
/** Who the audit trail names for a drain that ended by itself in the daemon. */
export const DAEMON_DRAIN_IDENTITY = { user: 'lbctl daemon' };

export function drainRoutes(host: () => EngineHost | null): Record<string, RequestRoute> {
  const need = () => {
    const h = host();
    if (!h) throw new Error('the daemon is starting or stopping: try again');
    return h;
  };
  return {
    [DRAIN_METHOD]: { write: true, run: (p, peer) => need().drains.request(drainRequest(p), { user: peer.user, uid: peer.uid }) },
    [DRAINS_METHOD]: { write: false, run: (p) => need().drains.report(DAEMON_DRAIN_IDENTITY, typeof p.service === 'string' ? p.service : undefined) },
  };
}

/** The request's parameters checked (the shell sends them right; anything else is a caller's mistake). */
export function drainRequest(p: Record<string, unknown>): DrainRequest {
  if (p.action !== 'drain' && p.action !== 'resume') throw new Error(`drain action must be drain or resume, not ${JSON.stringify(p.action)}`);
  if (typeof p.address !== 'string' || p.address === '') throw new Error('drain needs {action, address}');
  if (p.then !== undefined && p.then !== 'hold' && p.then !== 'remove') throw new Error(`drain then must be hold or remove, not ${JSON.stringify(p.then)}`);
  return {
    action: p.action,
    address: p.address,
    ...(typeof p.port === 'number' ? { port: p.port } : {}),
    ...(typeof p.service === 'string' ? { service: p.service } : {}),
    ...(typeof p.timeoutS === 'number' ? { timeoutS: p.timeoutS } : {}),
    ...(p.then !== undefined ? { then: p.then } : {}),
  };
}
