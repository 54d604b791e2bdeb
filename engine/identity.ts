// Names for IPVS objects that are stable whatever spelling an address came in: the keys of every map the
// engine keeps (desired, actual, ownership) and the text the plan and status print.
import { AF_INET, AF_INET6, type AddressFamily, type IpvsDest, type ServiceKey } from '../netlink/dataplane.js';
import { canonicalAddr, familyOf } from '../netlink/addr.js';
import { protocolName } from '../netlink/describe.js';

/** Canonical spellings, memoised per family: a 10,000-service table asks for the same few thousand again and again. */
const canonicalCache: Record<number, Map<string, string>> = { [AF_INET]: new Map(), [AF_INET6]: new Map() };
export function canonical(af: AddressFamily, addr: string): string {
  const cache = canonicalCache[af] ?? (canonicalCache[af] = new Map());
  let out = cache.get(addr);
  if (out === undefined) {
    out = canonicalAddr(af, addr);
    if (cache.size > 100_000) cache.clear();
    cache.set(addr, out);
  }
  return out;
}

const familyCache = new Map<string, AddressFamily | null>();
/** familyOf, memoised (it runs a regular expression per call). */
export function familyOfCached(addr: string): AddressFamily | null {
  let af = familyCache.get(addr);
  if (af === undefined) {
    af = familyOf(addr);
    if (familyCache.size > 100_000) familyCache.clear();
    familyCache.set(addr, af);
  }
  return af;
}

export function hostPort(af: number, addr: string, port: number): string {
  return af === AF_INET6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `tcp 10.0.0.10:80`, `udp [2001:db8::1]:53`, `fwmark 5`, `fwmark 5 inet6`: the service's id everywhere. */
export function serviceId(key: ServiceKey): string {
  if ('fwmark' in key) return `fwmark ${key.fwmark}${key.af === AF_INET6 ? ' inet6' : ''}`;
  return `${protocolName(key.protocol)} ${hostPort(key.af, canonical(key.af, key.addr), key.port)}`;
}

/** `10.0.1.2:8080` or `[2001:db8::2]:8080`: a destination's id inside its service. */
export function destId(svcAf: AddressFamily, dest: Pick<IpvsDest, 'addr' | 'port' | 'af'>): string {
  const af = dest.af ?? svcAf;
  return hostPort(af, canonical(af, dest.addr), dest.port);
}
