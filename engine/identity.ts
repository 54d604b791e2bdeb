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

/** `s` as one flat string: a copy that is not a rope (JSON's round trip copies any string exactly, ~0.1 us). */
export function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

const MEMO_LIMIT = 200_000;
/** Where second part `b` stands in an inline array of pairs `[b0, id0, b1, id1, …]`; -1 when absent. */
function pairIndex<B>(pairs: ReadonlyArray<B | string>, b: B): number {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === b) return i;
  return -1;
}

/** Pairs an address (or a service) keeps inline before they go into a Map of their own. */
const INLINE_PAIRS = 8;

/**
 * Ids by two parts, each built once and kept flat. V8 keeps a string built by `+` or a template (13 characters
 * and up) as a rope of its parts, and the daemon keeps ids for its life in the keys and values of its maps (the
 * cache, the compiled state, ownership, the health runner): at 10,000 services x 4 backends, 387,000 ropes and
 * 12 MiB. Memoised, every holder of an id shares one flat copy, and a lookup allocates nothing. Bounded like
 * the canonical spellings: past the limit it starts again (ids already handed out stay valid).
 *
 * The second parts of one first part are kept as an exact-size array of pairs `[b0, id0, b1, id1, …]` up to
 * INLINE_PAIRS, then in a Map: most addresses have one port and most services a few backends, and a Map of one
 * entry costs ~180 bytes where the pair costs ~60 (tens of thousands of them at 10,000 services).
 */
export class IdMemo<A, B> {
  private readonly outer = new Map<A, Array<B | string> | Map<B, string>>();
  private entries = 0;

  get(a: A, b: B): string | undefined {
    const inner = this.outer.get(a);
    if (inner === undefined) return undefined;
    if (inner instanceof Map) return inner.get(b);
    const at = pairIndex(inner, b);
    return at < 0 ? undefined : (inner[at + 1] as string);
  }

  /** Remember `id` for (a, b); returns the flat copy kept. */
  set(a: A, b: B, id: string): string {
    // A part that is NaN (a malformed key: a port or mark not a number) would match every other NaN: not kept.
    if (a !== a || b !== b) return flat(id);
    if (this.entries >= MEMO_LIMIT) {
      this.outer.clear();
      this.entries = 0;
    }
    const kept = flat(id);
    const inner = this.outer.get(a);
    if (inner === undefined) this.outer.set(a, [b, kept]);
    else if (inner instanceof Map) inner.set(b, kept);
    else {
      const at = pairIndex(inner, b);
      if (at >= 0) inner[at + 1] = kept;
      else if (inner.length < 2 * INLINE_PAIRS) {
        // Exactly one pair longer: a spread or a push would leave spare slots (V8 grows a backing store by half + 16).
        const longer = new Array<B | string>(inner.length + 2);
        for (let i = 0; i < inner.length; i++) longer[i] = inner[i];
        longer[inner.length] = b;
        longer[inner.length + 1] = kept;
        this.outer.set(a, longer);
      }
      else {
        const map = new Map<B, string>();
        for (let i = 0; i < inner.length; i += 2) map.set(inner[i] as B, inner[i + 1] as string);
        map.set(b, kept);
        this.outer.set(a, map);
      }
    }
    this.entries++;
    return kept;
  }
}

/** By address as spelled, then family, protocol and port (fwmark services: by '' then family and mark). */
const serviceIds = new IdMemo<string, number>();
/** By address as spelled, then family and port. */
const destIds = new IdMemo<string, number>();

/** `tcp 10.0.0.10:80`, `udp [2001:db8::1]:53`, `fwmark 5`, `fwmark 5 inet6`: the service's id everywhere. */
export function serviceId(key: ServiceKey): string {
  if ('fwmark' in key) {
    const n = key.fwmark * 2 + (key.af === AF_INET6 ? 1 : 0);
    return serviceIds.get('', n) ?? serviceIds.set('', n, `fwmark ${key.fwmark}${key.af === AF_INET6 ? ' inet6' : ''}`);
  }
  const n = (key.af * 256 + key.protocol) * 65536 + key.port;
  return serviceIds.get(key.addr, n) ?? serviceIds.set(key.addr, n, `${protocolName(key.protocol)} ${hostPort(key.af, canonical(key.af, key.addr), key.port)}`);
}

/** `10.0.1.2:8080` or `[2001:db8::2]:8080`: a destination's id inside its service. */
export function destId(svcAf: AddressFamily, dest: Pick<IpvsDest, 'addr' | 'port' | 'af'>): string {
  const af = dest.af ?? svcAf;
  const n = af * 65536 + dest.port;
  return destIds.get(dest.addr, n) ?? destIds.set(dest.addr, n, hostPort(af, canonical(af, dest.addr), dest.port));
}
