// Pure edits of a configuration: each takes a Config and returns a new one (the input is never changed),
// so a handler is "candidate → candidate" and the session simply keeps the result.
import type { Backend, Config, PortSpec, Service } from '../config/model.js';
import { defaultBackend, defaultHealth, defaultService } from '../config/defaults.js';
import { CommandError } from './types.js';

/**
 * A new configuration with `fn` applied to a copy of the named service (which must exist). Only that service is
 * copied; the others are shared with the input, which is never changed (10,000 services must not mean copying
 * 10,000 services per keystroke-sized edit).
 */
export function editService(config: Config, name: string, fn: (s: Service) => void): Config {
  const i = config.services.findIndex((s) => s.name === name);
  if (i < 0) throw new CommandError(`% Service "${name}" no longer exists in the candidate.`);
  const svc = structuredClone(config.services[i]);
  fn(svc);
  const services = [...config.services]; // not slice(): slow on a frozen list (config/delta.ts replacedInPlace)
  services[i] = svc;
  return { ...config, services };
}

/** A new configuration with `fn` applied to a copy of everything but the services (a new array, shared items). */
export function editConfig(config: Config, fn: (c: Config) => void): Config {
  const next = structuredClone({ ...config, services: [] }) as Config;
  next.services = [...config.services]; // not slice(): slow on a frozen list
  fn(next);
  return next;
}

/** `service NAME`: the candidate with the service present (created with defaults when new). */
export function ensureService(config: Config, name: string): { config: Config; created: boolean } {
  if (config.services.some((s) => s.name === name)) return { config, created: false };
  return { config: editConfig(config, (c) => c.services.push(defaultService(name))), created: true };
}

export function removeService(config: Config, name: string): Config {
  if (!config.services.some((s) => s.name === name)) throw new CommandError(`% Service "${name}" does not exist.`);
  return editConfig(config, (c) => {
    c.services = c.services.filter((s) => s.name !== name);
  });
}

export function samePort(a: PortSpec, b: PortSpec): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.from === b.from && a.to === b.to;
}

export function addPort(list: PortSpec[], p: PortSpec): PortSpec[] {
  return list.some((x) => samePort(x, p)) ? list : [...list, p];
}

export function removePort(list: PortSpec[], p: PortSpec, what: string): PortSpec[] {
  if (!list.some((x) => samePort(x, p))) throw new CommandError(`% ${what} ${portText(p)} is not configured.`);
  return list.filter((x) => !samePort(x, p));
}

export function portText(p: PortSpec): string {
  return typeof p === 'number' ? String(p) : `${p.from}-${p.to}`;
}

/** Changing the protocol keeps a health check that was left at its default fitting the new protocol. */
export function setProtocol(s: Service, protocol: Service['protocol']): void {
  if (isDeepEqual(s.health, defaultHealth(s.protocol))) s.health = defaultHealth(protocol);
  s.protocol = protocol;
}

/**
 * The backend a `backend ADDRESS [port N]` command means: the one with that address and port; without a port,
 * the only backend with that address (whatever its port), else port 0.
 */
export function findBackend(s: Service, address: string, port: number | undefined): Backend | undefined {
  if (port !== undefined) return s.backends.find((b) => b.address === address && b.port === port);
  const same = s.backends.filter((b) => b.address === address);
  if (same.length === 1) return same[0];
  return same.find((b) => b.port === 0);
}

/**
 * The backend at `address` (and `port`, when given), created when there is none. `note` says so when the new one
 * sits beside another backend at the same address: `backend A port P` on an existing address adds, it does not
 * edit, and the operator must not have to guess which.
 */
export function upsertBackend(s: Service, address: string, port: number | undefined): { backend: Backend; note?: string } {
  const found = findBackend(s, address, port);
  if (found) return { backend: found };
  const b = defaultBackend(address);
  b.port = port ?? 0;
  const beside = s.backends.filter((x) => x.address === address);
  s.backends.push(b);
  if (beside.length === 0) return { backend: b };
  const ports = beside.map((x) => `port ${x.port}`).join(', ');
  return {
    backend: b,
    note: `Backend ${address} port ${b.port} added beside ${address} ${ports}, which stays ('backend ${address} port ${beside[0].port} …' edits that one; 'no backend ${address} port ${beside[0].port}' removes it).`,
  };
}

export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => isDeepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => isDeepEqual(ao[k], bo[k]));
}
