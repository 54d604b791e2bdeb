// Random configurations from a seeded PRNG, for the property "validate accepts it ⇒ the kernel takes it and shows
// exactly it" (test/kernel/suite/validate-apply-property.test.ts) and its host-side half, validate ⇒ compile
// (test/unit/config/random-config.test.ts).
//
// randomValidConfig builds configurations that are valid BY CONSTRUCTION: every choice follows the rules of
// docs/config.md (ranges, families, forwarding and ports, thresholds, sorry/quorum, health fitting the protocol),
// written here from the documentation, not from validate.ts. So a generated configuration that validate refuses is
// a bug in one of the two, and one the kernel refuses is a validation bug. Values lean on the edges of every range
// (ports 1 and 65535, weights 0 and 2^31-1, thresholds up to 2^31-1, persistence 1 s and one month, netmasks /1 and
// /32 or /128, fwmark 1 and 2^32-1), and every scheduler, flag, protocol, forwarding method and tunnel option
// appears. Services expand to few IPVS services (at most 4 ports each) so that a case stays cheap under emulation.
//
// randomInvalidConfig takes a valid one and breaks exactly one rule; it returns the path the error must name.

import { prng, type Rand } from './prng.js';

export { prng, type Rand };
type Obj = Record<string, unknown>;

export const ALL_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;
export const INT32_MAX = 2147483647;
export const UINT32_MAX = 4294967295;
export const MONTH_S = 2678400;

export interface GenOptions {
  /** The schedulers to use (a kernel without ip_vs_twos leaves twos out). */
  schedulers?: readonly string[];
  /** At most this many services (default 4). */
  maxServices?: number;
}

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: Rand, p: number) => r() < p;
const intIn = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
/** An edge of [lo, hi] (or one of `extra`) half the time, else any value inside. */
const edgy = (r: Rand, lo: number, hi: number, extra: number[] = []) => (chance(r, 0.5) ? pick(r, [lo, hi, ...extra]) : intIn(r, lo, hi));

// Addresses: documentation ranges plus unusual but programmable ones (class E, loopback, ULA, site-local, the
// edges below multicast); IPv6 written canonically (some in capitals: ipvsadm prints them in lower case).
const V4_VIP_EDGES = ['1.0.0.0', '223.255.255.255', '240.0.0.1', '255.255.255.254', '127.0.0.1', '10.255.255.255'];
const V4_BACKEND_EDGES = ['1.0.0.1', '223.255.255.254', '240.0.0.2', '127.0.0.2', '100.64.0.1'];
const V6_VIP_EDGES = ['fe80::1', 'fc00::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:DB8::AB'];
const V6_BACKEND_EDGES = ['::1', 'fec0::1', 'fd00::ffff', '2001:DB8:1::CD'];

class Addresses {
  private used = new Set<string>();
  constructor(private readonly r: Rand) {}
  take(family: 4 | 6, role: 'vip' | 'backend' | 'sorry'): string {
    for (let tries = 0; ; tries++) {
      const edges = role === 'vip' ? (family === 4 ? V4_VIP_EDGES : V6_VIP_EDGES) : role === 'backend' ? (family === 4 ? V4_BACKEND_EDGES : V6_BACKEND_EDGES) : [];
      const n = intIn(this.r, 1, 254);
      const plain =
        family === 4
          ? `${role === 'vip' ? '192.0.2' : role === 'backend' ? '198.51.100' : '203.0.113'}.${n}`
          : `2001:db8:${role === 'vip' ? '' : role === 'backend' ? '1:' : '5:'}:${n.toString(16)}`;
      const a = tries < 5 && edges.length > 0 && chance(this.r, 0.15) ? pick(this.r, edges) : plain;
      if (!this.used.has(a.toLowerCase())) {
        this.used.add(a.toLowerCase());
        return a;
      }
    }
  }
}

const familyOf = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);

/** `ports` entries: a port, a range written `a-b`, or {from, to}; 1 to 4 ports in all. */
function portSpecs(r: Rand, taken: (port: number) => boolean): { specs: unknown[]; ports: number[] } {
  const specs: unknown[] = [];
  const ports: number[] = [];
  const want = pick(r, [1, 1, 1, 2, 3]);
  for (let tries = 0; specs.length < want && tries < 40; tries++) {
    const range = chance(r, 0.3);
    const size = range ? intIn(r, 1, 3) : 1;
    const from = chance(r, 0.4) ? pick(r, [1, 65535 - size + 1, 80, 443]) : intIn(r, 1, 65535 - size + 1);
    const span = Array.from({ length: size }, (_, k) => from + k);
    if (ports.length + size > 4 || span.some((p) => taken(p) || ports.includes(p))) continue;
    ports.push(...span);
    if (!range) specs.push(from);
    else specs.push(chance(r, 0.5) ? `${from}-${from + size - 1}` : { from, to: from + size - 1 });
  }
  return { specs, ports };
}

function persistence(r: Rand, family: 4 | 6): Obj {
  const p: Obj = {};
  if (chance(r, 0.8)) p.timeout = edgy(r, 1, MONTH_S, [300]);
  if (chance(r, 0.6)) {
    if (family === 6) p.netmask = edgy(r, 1, 128, [64]);
    else if (chance(r, 0.5)) p.netmask = edgy(r, 1, 32, [24]);
    else p.netmask = prefixToDotted(edgy(r, 1, 32, [24]));
  }
  return p;
}

/** A prefix length as a dotted IPv4 mask (24 → 255.255.255.0). */
export function prefixToDotted(len: number): string {
  const n = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function thresholds(r: Rand): { u?: number; l?: number } {
  const u = edgy(r, 1, INT32_MAX);
  return chance(r, 0.7) ? { u, l: edgy(r, 0, u) } : { u };
}

/** A health block that fits the protocol (and a fwmark service's missing port). */
function health(r: Rand, protocol: string, fwmark: boolean): Obj | undefined {
  const roll = r();
  if (roll < 0.3) return undefined;
  if (roll < 0.4) return { enabled: false };
  if (roll < 0.5 || protocol === 'sctp') return { type: 'none' };
  const interval = edgy(r, 100, 3600000, [1000]);
  const h: Obj = { interval_ms: interval, timeout_ms: edgy(r, 10, interval - 1), fail_after: edgy(r, 1, 100), recover_after: edgy(r, 1, 100) };
  if (fwmark) h.port = edgy(r, 1, 65535);
  if (protocol === 'tcp') {
    const type = pick(r, ['tcp', 'http', 'https']);
    h.type = type;
    if (type === 'http') h.http = { path: '/health', method: pick(r, ['GET', 'HEAD']), expect_status: [100, 599] };
    if (type === 'https') h.http = { path: '/', sni: 'lb.example', insecure: true, body: 'ok' };
    if (type === 'tcp' && chance(r, 0.3)) Object.assign(h, { payload: 'PING\r\n', expect: 'hex:504f4e47' });
  } else {
    const type = pick(r, ['udp_echo', 'dns']);
    h.type = type;
    if (type === 'udp_echo') Object.assign(h, { payload: 'hex:00ff', expect: 'x' });
    else h.dns = { query: 'example.org', record_type: 'AAAA', answer: '2001:db8::53' };
  }
  return h;
}

/**
 * One valid configuration. `auditPath` goes into observability (the apply writes its audit record there).
 */
export function randomValidConfig(r: Rand, auditPath: string, opts: GenOptions = {}): Obj {
  const schedulers = opts.schedulers ?? ALL_SCHEDULERS;
  const addrs = new Addresses(r);
  const config: Obj = { node: { name: 'prop' }, observability: { prometheus: { enabled: false }, audit: { path: auditPath } } };
  const defaultVip = chance(r, 0.5) ? addrs.take(chance(r, 0.3) ? 6 : 4, 'vip') : undefined;
  if (defaultVip) config.vip = defaultVip;
  const identities = new Set<string>();
  const marks = new Set<number>();
  const services: Obj[] = [];
  const count = intIn(r, 1, opts.maxServices ?? 4);
  for (let i = 0; i < count; i++) {
    const s: Obj = { name: i === 0 && chance(r, 0.2) ? `s${'_'.repeat(62)}0` : `svc-${i}` };
    const isFwmark = chance(r, 0.2);
    let family: 4 | 6;
    let singlePort: number | undefined;
    let servicePorts: number[] = [];
    if (isFwmark) {
      let mark = edgy(r, 1, UINT32_MAX);
      while (marks.has(mark)) mark = intIn(r, 2, UINT32_MAX - 1);
      marks.add(mark);
      s.fwmark = mark;
      s.protocol = pick(r, ['tcp', 'udp']);
      family = chance(r, 0.3) ? 6 : 4;
    } else {
      const useDefault = defaultVip !== undefined && chance(r, 0.5);
      const vip = useDefault ? defaultVip! : addrs.take(chance(r, 0.3) ? 6 : 4, 'vip');
      if (!useDefault) s.vip = vip;
      family = familyOf(vip);
      s.protocol = pick(r, ['tcp', 'udp', 'sctp']);
      const key = (p: number) => `${vip.toLowerCase()}|${s.protocol}|${p}`;
      const { specs, ports } = portSpecs(r, (p) => identities.has(key(p)));
      if (ports.length === 0) {
        // Crowded VIP: a port no one took.
        let p = intIn(r, 1024, 60000);
        while (identities.has(key(p))) p++;
        specs.push(p);
        ports.push(p);
      }
      for (const p of ports) identities.add(key(p));
      // Ranges may go to port_ranges (the original format's list) instead.
      const ranges = specs.filter((x) => typeof x !== 'number');
      if (ranges.length > 0 && chance(r, 0.3)) {
        s.ports = specs.filter((x) => typeof x === 'number');
        s.port_ranges = ranges;
      } else s.ports = specs;
      servicePorts = ports;
      if (specs.length === 1 && typeof specs[0] === 'number') singlePort = specs[0];
    }
    if (chance(r, 0.3)) s.description = `random service ${i}`;
    if (chance(r, 0.1)) s.enabled = false;
    const scheduler = chance(r, 0.15) ? undefined : pick(r, schedulers);
    if (scheduler) s.scheduler = scheduler;
    if ((scheduler === 'sh' || scheduler === 'mh') && chance(r, 0.7)) {
      const flags = [`${scheduler}-port`, `${scheduler}-fallback`].filter(() => chance(r, 0.6));
      s.scheduler_flags = chance(r, 0.5) ? flags.reverse() : flags;
    }
    if (chance(r, 0.4)) s.persistence = persistence(r, family);
    const method = pick(r, ['nat', 'nat', 'dr', 'tunnel', 'tunnel', undefined]);
    if (method) {
      const f: Obj = { method };
      if (method === 'tunnel' && chance(r, 0.8)) {
        const type = pick(r, ['ipip', 'gue', 'gre']);
        const t: Obj = { type };
        if (type === 'gue') t.port = edgy(r, 1, 65535, [6080]);
        if (type === 'gue' && chance(r, 0.7)) t.csum = pick(r, ['nocsum', 'csum', 'remcsum']);
        if (type === 'gre' && chance(r, 0.7)) t.csum = pick(r, ['nocsum', 'csum']);
        f.tunnel = t;
      }
      s.forwarding = f;
    }
    let su: number | undefined;
    let sl: number | undefined;
    if (chance(r, 0.3)) {
      const t = thresholds(r);
      su = t.u;
      sl = t.l;
      s.u_threshold = su;
      if (sl !== undefined) s.l_threshold = sl;
    }
    if (chance(r, 0.2)) s.on_down = pick(r, ['inhibit', 'remove']);
    if (chance(r, 0.2)) s.slow_start_s = edgy(r, 0, 3600);

    // Backends.
    const backends: Obj[] = [];
    const destKeys = new Set<string>();
    // An IPv6 fwmark service is IPv6 through its first backend: it needs one.
    const nBackends = Math.max(isFwmark && family === 6 ? 1 : 0, pick(r, [0, 1, 2, 2, 3, 4]));
    const portFree = (address: string, port: number) => {
      const a = address.toLowerCase();
      const eff = (p: number) => (p === 0 && singlePort !== undefined ? singlePort : p);
      if (destKeys.has(`${a}|${eff(port)}`)) return false;
      // Several service ports: port 0 stands for each of them.
      if (!isFwmark && singlePort === undefined) {
        if (port === 0 && servicePorts.some((p) => destKeys.has(`${a}|${p}`))) return false;
        if (servicePorts.includes(port) && destKeys.has(`${a}|0`)) return false;
      }
      return true;
    };
    for (let j = 0; j < nBackends; j++) {
      const mixed = method === 'tunnel' && j > 0 && chance(r, 0.3);
      const bFamily: 4 | 6 = mixed ? (family === 4 ? 6 : 4) : family;
      const reuse = method !== 'dr' && method !== 'tunnel' && backends.length > 0 && chance(r, 0.2);
      const address = reuse ? (pick(r, backends).address as string) : addrs.take(bFamily, 'backend');
      if (reuse && familyOf(address) !== family) continue;
      let port: number;
      if (method === 'dr' || method === 'tunnel') port = singlePort !== undefined && chance(r, 0.5) ? singlePort : 0;
      else port = chance(r, 0.4) ? 0 : edgy(r, 1, 65535, [8080]);
      if (!portFree(address, port)) {
        if (method === 'dr' || method === 'tunnel') continue;
        port = intIn(r, 1, 65535);
        if (!portFree(address, port) || servicePorts.includes(port)) continue;
      }
      destKeys.add(`${address.toLowerCase()}|${port === 0 && singlePort !== undefined ? singlePort : port}`);
      const b: Obj = { address };
      if (port !== 0 || chance(r, 0.5)) b.port = port;
      if (chance(r, 0.8)) b.weight = edgy(r, 0, INT32_MAX, [1, 100]);
      // Thresholds: the backend's own pair, or only its u above the service's l; never l alone (docs/config.md).
      if (chance(r, 0.3)) {
        const t = thresholds(r);
        if (t.l === undefined && sl !== undefined && t.u! < sl) t.u = sl;
        b.u_threshold = t.u;
        if (t.l !== undefined) b.l_threshold = t.l;
      }
      if (chance(r, 0.1)) b.enabled = false;
      backends.push(b);
    }
    if (backends.length > 0 || chance(r, 0.5)) s.backends = backends;
    const h = health(r, s.protocol as string, isFwmark);
    if (h) s.health = h;

    // Sorry server and quorum.
    const enabledBackends = backends.filter((b) => b.enabled !== false).length;
    if (chance(r, 0.3)) {
      // A fwmark service works in its first backend's family (IPv4 without backends); tunnel may mix families.
      const own: 4 | 6 = !isFwmark ? family : backends.length > 0 ? familyOf(backends[0].address as string) : 4;
      const fam: 4 | 6 = method === 'tunnel' && chance(r, 0.3) ? (own === 4 ? 6 : 4) : own;
      const address = addrs.take(fam, 'sorry');
      const port = method === 'dr' || method === 'tunnel' ? 0 : chance(r, 0.5) ? edgy(r, 1, 65535) : 0;
      s.sorry = port === 0 ? address : fam === 6 ? `[${address}]:${port}` : `${address}:${port}`;
    }
    if (chance(r, 0.3)) s.quorum = enabledBackends > 0 ? edgy(r, 1, enabledBackends) : edgy(r, 1, 65535);
    services.push(s);
  }
  config.services = services;
  return config;
}

/** A deep copy (configurations are plain data). */
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** One rule broken: the mutated configuration and the model path (prefix) the error must name. */
export interface Broken {
  config: Obj;
  path: string;
  what: string;
}

/**
 * `valid` with exactly one rule broken, or null when the chosen breakage does not apply to it (the caller draws
 * again). The breakages cover ranges (each edge plus or minus one), enums, families, forwarding and ports,
 * thresholds, tunnel options, identities and duplicates.
 */
export function randomInvalidConfig(r: Rand, valid: Obj): Broken | null {
  const c = copy(valid);
  const services = c.services as Obj[];
  const i = intIn(r, 0, services.length - 1);
  const s = services[i];
  const at = `services[${i}]`;
  const backends = (s.backends as Obj[] | undefined) ?? [];
  const j = backends.length > 0 ? intIn(r, 0, backends.length - 1) : -1;
  const b = j >= 0 ? backends[j] : undefined;
  const bAt = `${at}.backends[${j}]`;
  const family = s.fwmark !== undefined ? undefined : familyOf((s.vip as string) ?? (c.vip as string));
  const cases: (() => Broken | null)[] = [
    () => (b ? ((b.port = pick(r, [-1, 65536])), { config: c, path: `${bAt}.port`, what: `backend port ${b.port}` }) : null),
    () => (b ? ((b.weight = pick(r, [-1, INT32_MAX + 1, 1.5])), { config: c, path: `${bAt}.weight`, what: `weight ${b.weight}` }) : null),
    () => (b ? ((b.u_threshold = INT32_MAX + 1), { config: c, path: `${bAt}.u_threshold`, what: 'u_threshold 2^31' }) : null),
    () => (b ? ((b.u_threshold = 10), (b.l_threshold = 11), { config: c, path: `${bAt}.l_threshold`, what: 'l > u' }) : null),
    () => (b ? ((b.address = pick(r, ['224.0.0.1', '255.255.255.255', '0.0.0.0', 'ff02::1', 'fe80::1', '::ffff:192.0.2.1', '192.0.2.300'])), { config: c, path: `${bAt}.address`, what: `backend ${b.address}` }) : null),
    () => {
      s.persistence = { timeout: pick(r, [0, MONTH_S + 1]) };
      return { config: c, path: `${at}.persistence.timeout`, what: 'persistence timeout' };
    },
    () => {
      if (family === undefined) return null;
      s.persistence = { netmask: family === 4 ? pick(r, [33, 0, '255.0.255.0', '0.0.0.0']) : pick(r, [129, 0, '255.255.255.0']) };
      return { config: c, path: `${at}.persistence.netmask`, what: `IPv${family} netmask ${JSON.stringify((s.persistence as Obj).netmask)}` };
    },
    () => ((s.scheduler = pick(r, ['wlcx', 'RR', ''])), { config: c, path: `${at}.scheduler`, what: `scheduler ${JSON.stringify(s.scheduler)}` }),
    () => {
      const flag = pick(r, ['sh-port', 'mh-fallback']);
      s.scheduler = flag.startsWith('sh') ? 'mh' : 'sh';
      s.scheduler_flags = [flag];
      return { config: c, path: `${at}.scheduler_flags[0]`, what: `${flag} with ${s.scheduler}` };
    },
    () => {
      const t = pick(r, [{ type: 'gue' }, { type: 'ipip', port: 6080 }, { type: 'gre', csum: 'remcsum' }, { type: 'gue', port: 0 }, { type: 'ipip', csum: 'csum' }]);
      s.forwarding = { method: 'tunnel', tunnel: t };
      return { config: c, path: `${at}.forwarding.tunnel`, what: `tunnel ${JSON.stringify(t)}` };
    },
    () => ((s.forwarding = { method: pick(r, ['masq', 'fullnat']) }), { config: c, path: `${at}.forwarding.method`, what: 'forwarding method' }),
    () => {
      if (s.fwmark === undefined) return null;
      s.fwmark = pick(r, [0, UINT32_MAX + 1]);
      return { config: c, path: `${at}.fwmark`, what: `fwmark ${s.fwmark}` };
    },
    () => {
      if (s.fwmark !== undefined) return null;
      s.ports = [pick(r, [0, 65536, '65535-65536', '9-8'])];
      delete s.port_ranges;
      return { config: c, path: `${at}.ports[0]`, what: `port ${JSON.stringify((s.ports as unknown[])[0])}` };
    },
    () => ((s.protocol = pick(r, ['icmp', 'TCP'])), { config: c, path: `${at}.protocol`, what: `protocol ${s.protocol}` }),
    () => {
      if (s.fwmark !== undefined) return null;
      services.push({ ...copy(s), name: 'dup-identity' });
      return { config: c, path: `services[${services.length - 1}].port`, what: 'a second service with the same identity' };
    },
    () => {
      if (!b) return null;
      backends.push(copy(b));
      return { config: c, path: `${at}.backends[${backends.length - 1}].address`, what: 'duplicate backend' };
    },
    () => (b ? ((b.wieght = 1), { config: c, path: `${bAt}.wieght`, what: 'unknown key' }) : null),
    () => {
      if (s.fwmark !== undefined || family === undefined) return null;
      const other = family === 4 ? '2001:db8:9::1' : '198.51.100.250';
      s.forwarding = { method: 'nat' };
      s.backends = [{ address: other }];
      delete s.sorry;
      delete s.quorum;
      return { config: c, path: `${at}.backends[0].address`, what: 'mixed families without tunnel' };
    },
    () => ((s.quorum = 0), { config: c, path: `${at}.quorum`, what: 'quorum 0' }),
  ];
  return pick(r, cases)();
}
