// From a configuration to the targets the scheduler probes. One target per distinct (address, port, check
// definition): every service and backend that would send the very same probe shares it, and the target lists
// them as its users, so the daemon can turn one verdict into every destination it concerns.
import { createHash } from 'node:crypto';
import type { Config, Health, Service } from '../../config/model.js';
import { backendKey, canonicalAddress, portBounds } from '../../config/derive.js';
import type { CheckDefinition, ProbeEndpoint } from './types.js';

/** A backend of a service that a target's verdict applies to. */
export interface BackendUse {
  service: string;
  /** The backend as configured (its port may be 0 = the client's port). */
  address: string;
  port: number;
}

export interface HealthTarget extends ProbeEndpoint {
  /** `tcp 192.0.2.10:80 #1f2e3d4c5b6a7988`: type, endpoint and a hash of the whole check definition. */
  key: string;
  /** 0 when no port can be told (a fwmark service's port-0 backend without health.port): not probed. */
  port: number;
  check: CheckDefinition;
  users: BackendUse[];
}

/** The check a target runs: `health` without enabled and port, with its keys in one order. */
export function checkDefinition(health: Health): CheckDefinition {
  const { enabled: _enabled, port: _port, ...rest } = health;
  return sortKeys(rest) as CheckDefinition;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** The key of a target: equal exactly when address, port and check definition are equal. */
export function targetKey(endpoint: ProbeEndpoint, check: CheckDefinition): string {
  const hash = createHash('sha256').update(JSON.stringify(sortKeys(check))).digest('hex').slice(0, 16);
  return `${check.type} ${backendKey(endpoint)} #${hash}`;
}

/**
 * The port a backend is checked on: health.port, else the backend's own port, else the service's first port;
 * 0 when there is none (a fwmark service's port-0 backend without health.port).
 */
export function checkPort(service: Pick<Service, 'health' | 'ports' | 'port_ranges' | 'fwmark'>, backend: { port: number }): number {
  if (service.health.port !== undefined && service.health.port !== 0) return service.health.port;
  if (backend.port !== 0) return backend.port;
  if (service.fwmark !== undefined) return 0;
  const first = [...(service.ports ?? []), ...(service.port_ranges ?? [])][0];
  return first === undefined ? 0 : portBounds(first)[0];
}

/** One checked backend of a service: the target it uses, and itself as that target's user. */
export interface ServiceTargetUse {
  target: Omit<HealthTarget, 'users'>;
  user: BackendUse;
}

/**
 * The targets one service's backends use: its enabled backends, when the service is enabled and its check is
 * enabled and not `none` (none otherwise). The daemon keeps these per service, so that a commit recomputes only
 * the services it changed (engine/daemon/health-runner.ts).
 */
export function serviceTargets(service: Service): ServiceTargetUse[] {
  if (!service.enabled || service.inactive || !service.health.enabled || service.health.type === 'none') return [];
  const check = checkDefinition(service.health);
  const out: ServiceTargetUse[] = [];
  for (const backend of service.backends) {
    if (!backend.enabled || backend.inactive) continue;
    const endpoint = { address: canonicalAddress(backend.address), port: checkPort(service, backend) };
    out.push({ target: { key: targetKey(endpoint, check), ...endpoint, check }, user: { service: service.name, address: backend.address, port: backend.port } });
  }
  return out;
}

/**
 * Every target of `config`: enabled backends of enabled services whose check is enabled and not `none`.
 * A backend with no check is always up and has no target.
 */
export function healthTargets(config: Pick<Config, 'services'>): HealthTarget[] {
  const byKey = new Map<string, HealthTarget>();
  for (const service of config.services) {
    for (const { target, user } of serviceTargets(service)) {
      let t = byKey.get(target.key);
      if (t === undefined) {
        t = { ...target, users: [] };
        byKey.set(target.key, t);
      }
      t.users.push(user);
    }
  }
  return [...byKey.values()];
}
