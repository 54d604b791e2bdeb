// The control socket's health requests, as handlers the server can register (ControlServerOptions.handlers):
//   health     read   { service? }                        → HealthReport (`show health`)
//   setHealth  write  { address, port?, service?, state }  → ManualHealthResult (lab only: a hand-set verdict)
// The daemon owns the HealthRunner; the server only routes. A refused request throws an Error whose message is
// the operator's sentence (the server sends it as an `internal` error; the client prints the message).
import type { Peer } from './peer.js';
import type { HealthRunner } from './health-runner.js';
import type { ManualHealthRequest } from '../health/report.js';

export type RequestHandler = (params: Record<string, unknown>, peer: Peer) => Promise<unknown>;
export interface RequestRoute {
  write: boolean;
  run: RequestHandler;
}

export const HEALTH_METHOD = 'health';
export const SET_HEALTH_METHOD = 'setHealth';

/** The health routes of a daemon whose runner is `runner()` (null: the checks are not running yet). */
export function healthRoutes(runner: () => HealthRunner | null): Record<string, RequestRoute> {
  const need = () => {
    const r = runner();
    if (!r) throw new Error('the health checks are not running yet (the daemon is starting or stopping)');
    return r;
  };
  return {
    [HEALTH_METHOD]: { write: false, run: async (p) => need().report(typeof p.service === 'string' ? p.service : undefined) },
    [SET_HEALTH_METHOD]: { write: true, run: (p) => need().setManual(manualRequest(p)) },
  };
}

function manualRequest(p: Record<string, unknown>): ManualHealthRequest {
  if (typeof p.address !== 'string' || p.address === '') throw new Error('setHealth needs {address, state: up|down|auto}');
  const state = p.state;
  if (state !== 'up' && state !== 'down' && state !== 'auto') throw new Error(`health state must be up, down or auto, not ${JSON.stringify(state)}`);
  return {
    address: p.address,
    state,
    ...(typeof p.port === 'number' ? { port: p.port } : {}),
    ...(typeof p.service === 'string' ? { service: p.service } : {}),
  };
}
