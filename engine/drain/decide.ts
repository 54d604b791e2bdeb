// Maintenance drains as plain data, and the pure decisions about them: which backends a request names, where a
// drain goes next given its active connections and the time, and what the engine must program for the set of
// drains (engine/inputs.ts AdminState). No clock, no file, no kernel: those are engine/drain/drains.ts's.
import type { Config } from '../../config/model.js';
import { canonicalAddress } from '../../config/derive.js';
import type { AdminState } from '../inputs.js';
import { backendRef } from '../inputs.js';
import { serviceId } from '../identity.js';
import type { IpvsTableEntry } from '../../netlink/dataplane.js';

/** What becomes of a backend once its connections reached 0 or its timeout expired. */
export type DrainThen = 'hold' | 'remove';

/** Draining: weight 0, waiting for the connections to end. Drained: they ended (or the timeout expired). */
export type DrainState = 'draining' | 'drained';

/** Why a drain ended. */
export type DrainedWhy = 'no active connections' | 'timeout';

/** One drained backend of one service, as kept in STATE/drains.json. */
export interface DrainRecord {
  service: string;
  /** The backend as configured: its address (canonical) and port (0 = the service's port). */
  address: string;
  port: number;
  state: DrainState;
  then: DrainThen;
  /** Seconds after `since` at which a drain with connections left ends anyway; absent: no limit. */
  timeoutS?: number;
  /** ISO-8601: when the drain was asked for. */
  since: string;
  /** ISO-8601: when it became drained, and why. */
  drainedAt?: string;
  why?: DrainedWhy;
  /** Who asked. */
  user: string;
}

/** What an operator asks: every enabled backend at `address`, narrowed by port and service. */
export interface DrainRequest {
  action: 'drain' | 'resume';
  address: string;
  port?: number;
  service?: string;
  timeoutS?: number;
  then?: DrainThen;
}

/** The engine's name of the drained backend (`web/10.0.1.2:8080`). */
export function drainRef(r: Pick<DrainRecord, 'service' | 'address' | 'port'>): string {
  return backendRef(r.service, r.address, r.port);
}

/** The configured backends a request names: enabled ones of the running configuration, in configuration order. */
export function matchBackends(config: Config, req: Pick<DrainRequest, 'address' | 'port' | 'service'>): { service: string; address: string; port: number; weight: number }[] {
  const address = canonicalAddress(req.address);
  const out: { service: string; address: string; port: number; weight: number }[] = [];
  for (const s of config.services) {
    if (req.service !== undefined && s.name !== req.service) continue;
    for (const b of s.backends) {
      if (b.enabled === false || canonicalAddress(b.address) !== address) continue;
      if (req.port !== undefined && b.port !== req.port) continue;
      out.push({ service: s.name, address, port: b.port, weight: b.weight });
    }
  }
  return out;
}

/**
 * The next state of a drain: drained once its active connections reach 0, or once its timeout expired with
 * connections left; null when it stays as it is. `active` null: the backend is not in the table (nothing to wait
 * for, e.g. its service is not programmed), which counts as no connections.
 */
export function drainStep(r: DrainRecord, active: number | null, now: Date): { state: 'drained'; why: DrainedWhy } | null {
  if (r.state === 'drained') return null;
  if (active === null || active === 0) return { state: 'drained', why: 'no active connections' };
  if (r.timeoutS !== undefined && now.getTime() - Date.parse(r.since) >= r.timeoutS * 1000) return { state: 'drained', why: 'timeout' };
  return null;
}

/**
 * What the engine programs for a set of drains: a draining backend, or a drained one held, keeps its destination
 * at weight 0 (its connections stay, no new ones); a drained one with `then: remove` loses its destination.
 */
export function drainAdmin(records: readonly DrainRecord[]): AdminState {
  const drained = new Set<string>();
  const removed = new Set<string>();
  for (const r of records) (r.state === 'drained' && r.then === 'remove' ? removed : drained).add(drainRef(r));
  return { drainedBackends: drained, disabledBackends: removed };
}

/**
 * The active connections of each drained backend in the table, summed over the IPVS services its configuration
 * service declares (a port range is several); null for a backend with no destination in the table.
 * `names`: serviceId → configuration service name (host.ts declaredServiceNames).
 */
export function activeConnections(
  records: readonly DrainRecord[],
  table: readonly IpvsTableEntry[],
  names: ReadonlyMap<string, string>,
): Map<string, number | null> {
  const out = new Map<string, number | null>(records.map((r) => [drainRef(r), null]));
  const byService = new Map<string, DrainRecord[]>();
  for (const r of records) byService.set(r.service, [...(byService.get(r.service) ?? []), r]);
  for (const entry of table) {
    const mine = byService.get(names.get(serviceId(entry.service.key)) ?? '');
    if (!mine) continue;
    for (const d of entry.dests)
      for (const r of mine) {
        if (r.address !== d.addr || (r.port !== 0 && r.port !== d.port)) continue;
        const ref = drainRef(r);
        out.set(ref, (out.get(ref) ?? 0) + (d.activeConns ?? 0));
      }
  }
  return out;
}
