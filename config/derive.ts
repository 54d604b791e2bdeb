// Facts derived from a configuration that several modules need the same way: the VIP a service really uses,
// the ports it expands to, an address's family and canonical spelling, and the `7543-7814` port notation.
import { isIP } from 'node:net';
import type { Config, PortSpec, Service } from './model.js';

/** The service's own vip, else the top-level default vip; undefined for fwmark services and when neither exists. */
export function effectiveVip(config: Pick<Config, 'vip'>, service: Pick<Service, 'vip' | 'fwmark'>): string | undefined {
  if (service.fwmark !== undefined) return service.vip;
  return service.vip ?? config.vip;
}

/** 4, 6, or 0 when `address` is no IP address. */
export function ipFamily(address: unknown): 0 | 4 | 6 {
  return typeof address === 'string' ? (isIP(address) as 0 | 4 | 6) : 0;
}

/**
 * One spelling per address, so `2001:DB8::1` and `2001:db8:0::1` compare equal. Non-addresses pass unchanged.
 * A zone id (`fe80::1%eth0`, which isIP accepts but URL does not) is kept as written after the canonical address:
 * validation refuses it, but diffs and keys must still work on such a candidate without throwing.
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const zoneAt = address.indexOf('%');
  const bare = zoneAt < 0 ? address : address.slice(0, zoneAt);
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1) + (zoneAt < 0 ? '' : address.slice(zoneAt));
  } catch {
    return address;
  }
}

/** The zone id of `fe80::1%eth0` (`eth0`), or undefined when the text has none. */
export function zoneId(address: string): string | undefined {
  const at = address.indexOf('%');
  return at < 0 ? undefined : address.slice(at + 1);
}

/** `80` → 80, `7543-7814` → {from, to}; undefined when the text is neither (range order is checked elsewhere). */
export function parsePortText(text: string): PortSpec | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(\d+)\s*-\s*(\d+)$/.exec(t);
  if (m) return { from: Number(m[1]), to: Number(m[2]) };
  return undefined;
}

/** The notation operators write: `80`, `7543-7814`. */
export function formatPortSpec(p: PortSpec): string {
  return typeof p === 'number' ? String(p) : `${p.from}-${p.to}`;
}

/** First and last port of a spec. */
export function portBounds(p: PortSpec): [number, number] {
  return typeof p === 'number' ? [p, p] : [p.from, p.to];
}

/** Every port of ports and port_ranges, in order, duplicates kept (validation reports them). */
export function expandPorts(service: Pick<Service, 'ports' | 'port_ranges'>): number[] {
  const out: number[] = [];
  for (const spec of [...(service.ports ?? []), ...(service.port_ranges ?? [])]) {
    const [from, to] = portBounds(spec);
    for (let p = from; p <= to; p++) out.push(p);
  }
  return out;
}

/** How many IPVS services this service becomes: one per port, or one for a fwmark service. */
export function ipvsServiceCount(service: Pick<Service, 'ports' | 'port_ranges' | 'fwmark'>): number {
  if (service.fwmark !== undefined) return 1;
  let n = 0;
  for (const spec of [...(service.ports ?? []), ...(service.port_ranges ?? [])]) {
    const [from, to] = portBounds(spec);
    n += Math.max(0, to - from + 1);
  }
  return n;
}

/** A backend's identity within its service: canonical address and port. */
export function backendKey(b: { address: string; port: number }): string {
  const a = canonicalAddress(b.address);
  return ipFamily(a) === 6 ? `[${a}]:${b.port}` : `${a}:${b.port}`;
}
