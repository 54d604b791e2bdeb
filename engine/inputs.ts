// What besides the running configuration decides the desired IPVS table: health verdicts, the operator's
// runtime administrative state, and each VRRP instance's state on this node. Plain data, so compile() stays a
// pure function.
import { IdMemo, destId, familyOfCached } from './identity.js';
import type { VrrpStates } from './ha/programming.js';

/** A backend's health as the checker sees it. `recovering` ramps the weight up (slow start). */
export type HealthVerdict =
  | { state: 'up' }
  | { state: 'down' }
  /** Passed its checks again; `fraction` (0..1] of the configured weight is programmed until it reaches 1. */
  | { state: 'recovering'; fraction: number };


/**
 * Runtime administrative state (not part of the configuration): an operator draining a backend before
 * maintenance, or taking a service out without a commit. Keys are service names and backendRef() strings.
 */
export interface AdminState {
  disabledServices?: ReadonlySet<string>;
  disabledBackends?: ReadonlySet<string>;
  /** Drained backends keep their established connections (weight 0) but get no new ones. */
  drainedBackends?: ReadonlySet<string>;
}

export interface EngineInputs {
  /** Keyed by backendRef(); a backend with no verdict (health disabled, not checked yet) counts as up. */
  verdicts: ReadonlyMap<string, HealthVerdict>;
  admin: AdminState;
  /**
   * Each VRRP instance's state on this node, by `ha.instances[].name` (the HA watcher's picture). Only
   * `ha.program: master-only` consults it, per service (engine/ha/programming.ts); an instance missing is unknown.
   */
  vrrp: VrrpStates;
}

export const NO_INPUTS: EngineInputs = { verdicts: new Map(), admin: {}, vrrp: new Map() };

/**
 * How health checkers, admin commands and the engine name one backend of one service: `web/10.0.1.2:8080`.
 * `port` is the backend's configured port (0 = the service's port, kept as 0 here so a port range's
 * backend is one backend, not one per port).
 */
export function backendRef(service: string, address: string, port: number): string {
  const af = familyOfCached(address);
  if (af === null) return `${service}/${address}:${port}`;
  // Kept by the compiled state, the verdicts and the health runner: one flat copy each (IdMemo).
  const backend = destId(af, { addr: address, port });
  return backendRefs.get(service, backend) ?? backendRefs.set(service, backend, `${service}/${backend}`);
}

/** By service name, then the backend's destination id. */
const backendRefs = new IdMemo<string, string>();
