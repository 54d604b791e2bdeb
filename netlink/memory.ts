// The in-memory IPVS: the kernel's semantics and errno values for the same operations, for unit tests and
// `lbctl --lab`. Checks happen in the order net/netfilter/ipvs/ip_vs_ctl.c makes them, so the first error the
// kernel would report is the one reported here. The shared contract suite (test/unit/netlink/dataplane-contract.ts)
// runs against both this and the kernel, so they cannot drift apart.
import {
  AF_INET,
  AF_INET6,
  copyKey,
  FWD_TUNNEL,
  IPPROTO_TCP,
  SVC_F_HASHED,
  TUN_GUE,
  type AddressFamily,
  type Dataplane,
  type IpvsDest,
  type IpvsOp,
  type IpvsService,
  type IpvsStats,
  type IpvsTableEntry,
  type IpvsTimeouts,
  type OpResult,
  readsCounters,
  type ReadOptions,
  type ServiceKey,
} from './dataplane.js';
import { addrToBytes } from './addr.js';
import { describeKey, describeOp } from './describe.js';
import { EEXIST, EINVAL, ENOENT, ERANGE, ESRCH } from './errno.js';
import { DataplaneError } from './errors.js';
import { checkDest, checkDestId, checkKey, checkOp, checkService, checkTimeouts, InputError } from './validate.js';

/** Schedulers Debian 12's kernel (6.1) ships as ip_vs_<name> modules, plus "none" (no scheduler). "twos" (6.2+) is absent. */
export const KNOWN_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'none'];
export const KNOWN_PERSISTENCE_ENGINES = ['sip'];
/** Kernel defaults (ip_vs_proto_tcp.c / ip_vs_proto_udp.c). */
export const DEFAULT_TIMEOUTS: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
/** HZ of Debian's amd64 kernel: ip_vs_set_timeout refuses values above INT_MAX / HZ. */
const KERNEL_HZ = 250;
const MAX_TIMEOUT = Math.floor(0x7fffffff / KERNEL_HZ);

export function zeroStats(): IpvsStats {
  return { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
}

interface StoredDest {
  dest: IpvsDest & { af: AddressFamily };
  stats: IpvsStats;
  /**
   * Connection counts: no traffic flows through the in-memory IPVS, so they are what the table's JSON says (the
   * lab's `ipvsadm`: a test or an operator practising a drain writes them into lab-ipvs.json).
   */
  conns?: { active: number; inact: number };
}
interface StoredService {
  /** As stored by the kernel: flags include HASHED. */
  service: IpvsService;
  stats: IpvsStats;
  dests: StoredDest[];
}

/**
 * One change as it was made, so that `replay` makes it again on a copy of the table it was made on: the ops of an
 * apply that succeeded (the failed ones changed nothing; as the caller gave them, so valid for checkOp), the
 * timeouts set, the service zeroed (null: all), a flush. What the lab's journal records (netlink/table-journal.ts),
 * each op in checkOp's canonical form.
 */
export type MemoryChange =
  | { apply: IpvsOp[] }
  | { setTimeouts: Partial<IpvsTimeouts> }
  | { zero: ServiceKey | null }
  | { flush: true };

export interface MemoryDataplaneOptions {
  /** Called after every change (apply with at least one op, zero, flush, setTimeouts), with the change; awaited. */
  onChange?: (dp: MemoryDataplane, change: MemoryChange) => void | Promise<void>;
}

/** JSON form of the table (bigints as decimal strings). */
export interface MemoryDataplaneJSON {
  format: 'lbctl-memory-ipvs';
  version: 1;
  timeouts: IpvsTimeouts;
  services: Array<{
    service: IpvsService;
    stats: Record<string, string>;
    dests: Array<{ dest: IpvsDest; stats: Record<string, string>; activeConns?: number; inactConns?: number }>;
  }>;
}

/** Connection counts written into the JSON (whole non-negative numbers), or nothing. */
function connsFromJSON(d: { activeConns?: unknown; inactConns?: unknown }): { conns?: { active: number; inact: number } } {
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
  const active = count(d.activeConns);
  const inact = count(d.inactConns);
  return active || inact ? { conns: { active, inact } } : {};
}

function keyId(key: ServiceKey): string {
  return 'fwmark' in key ? `${key.af}/fw/${key.fwmark}` : `${key.af}/${key.protocol}/${key.addr}/${key.port}`;
}

/** The kernel treats FWMARK=0 as "no fwmark": a tcp service on the zero address and port 0. */
function kernelKey(key: ServiceKey): ServiceKey {
  if ('fwmark' in key && key.fwmark === 0)
    return { af: key.af, protocol: IPPROTO_TCP, addr: key.af === AF_INET ? '0.0.0.0' : '::', port: 0 };
  return key;
}

function fail(errno: number, request: string): never {
  throw new DataplaneError(errno, request);
}

function isUsableV4Dest(addr: string): boolean {
  const b = addr.split('.').map(Number); // canonical already (checkDest): four decimal bytes
  // inet_addr_type(): 0.0.0.0/8 and 255.255.255.255 are "broadcast", 224.0.0.0/4 multicast; neither is allowed.
  if (b[0] === 0 || (b[0] & 0xf0) === 0xe0 || b.every((x) => x === 0xff)) return false;
  return true;
}

function isUsableV6Dest(addr: string): boolean {
  const b = addrToBytes(AF_INET6, addr);
  if (b.every((x) => x === 0)) return false; // unspecified
  if (b[0] === 0xff) return false; // multicast
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return false; // link-local
  return true;
}

/** The timeouts a setTimeouts changes: the non-zero ones (0 leaves a timeout as it is). */
function pickTimeouts(t: Partial<IpvsTimeouts>): Partial<IpvsTimeouts> {
  const out: Partial<IpvsTimeouts> = {};
  if (t.tcp) out.tcp = t.tcp;
  if (t.tcpFin) out.tcpFin = t.tcpFin;
  if (t.udp) out.udp = t.udp;
  return out;
}

const cloneStats = (s: IpvsStats): IpvsStats => ({ ...s });
const statsToJSON = (s: IpvsStats) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.toString()]));
/**
 * `,"stats":{…}` for the lab's snapshot, or nothing when every counter is zero (nearly all of a lab's, and half
 * the bytes of a 10,000-service table): fromJSON reads a missing "stats" as zero counters.
 */
function statsField(s: IpvsStats): string {
  return isZeroStats(s) ? '' : `,"stats":${statsTextOf(s)}`;
}
function isZeroStats(s: IpvsStats): boolean {
  let n = 0;
  for (const k in s) {
    if (s[k as keyof IpvsStats] !== 0n) return false;
    n++;
  }
  return n === ZERO_STATS_KEYS;
}
function statsTextOf(s: IpvsStats): string {
  let out = '';
  for (const k in s) out += `${out ? ',' : '{'}"${k}":"${s[k as keyof IpvsStats]}"`;
  return out ? `${out}}` : '{}';
}
const ZERO_STATS_KEYS = Object.keys(zeroStats()).length;
const STATS_KEYS = Object.keys(zeroStats()) as (keyof IpvsStats)[];
function statsFromJSON(o: Record<string, string> | undefined): IpvsStats {
  const s = zeroStats();
  if (o === undefined || o === null) return s;
  // "0", nearly every counter of a lab table, is the zero already there (half a million BigInt parses at 10,000 services).
  for (const k of STATS_KEYS) if (o[k] !== undefined && o[k] !== '0') s[k] = BigInt(o[k]);
  return s;
}

/**
 * `s` as a string of its own. JSON.parse returns a string of 13 characters or more as a slice of the text it
 * parsed, so one address kept from a parsed table kept the whole text (megabytes) of a 10,000-service table alive
 * for as long as the table lived (canonicalAddr returns an IPv4 text as it is).
 */
function unshared(s: string): string {
  return s.length >= 13 ? (s + ' ').slice(0, -1) : s;
}

export class MemoryDataplane implements Dataplane {
  readonly kind = 'memory' as const;
  private services = new Map<string, StoredService>();
  private timeouts: IpvsTimeouts = { ...DEFAULT_TIMEOUTS };
  private sent = 0;
  private readonly onChange?: MemoryDataplaneOptions['onChange'];

  constructor(opts: MemoryDataplaneOptions = {}) {
    this.onChange = opts.onChange;
  }

  async info() {
    this.sent++;
    return { version: '1.2.1', connTabSize: 4096 };
  }

  async listServices(opts?: ReadOptions): Promise<IpvsService[]> {
    this.sent++;
    const counters = readsCounters(opts);
    return [...this.services.values()].map((s) => this.readService(s, counters));
  }

  async getService(key: ServiceKey): Promise<IpvsService | null> {
    const parsed = this.parseKey(key, `getService ${describeKey(key)}`);
    this.sent++;
    const stored = this.find(parsed);
    return stored ? this.readService(stored) : null;
  }

  async listDests(key: ServiceKey, opts?: ReadOptions): Promise<IpvsDest[]> {
    // The kernel's dest dump answers nothing (no error) for a missing or malformed service.
    let stored: StoredService | undefined;
    try {
      stored = this.find(kernelKey(checkKey(key)));
    } catch {
      return [];
    }
    this.sent++;
    const counters = readsCounters(opts);
    return stored ? stored.dests.map((d) => this.readDest(stored!, d, counters)) : [];
  }

  async readAll(opts?: ReadOptions): Promise<IpvsTableEntry[]> {
    const services = await this.listServices(opts);
    const out: IpvsTableEntry[] = [];
    for (const service of services) out.push({ service, dests: await this.listDests(service.key, opts) });
    return out;
  }

  async apply(ops: IpvsOp[]): Promise<OpResult[]> {
    // The ops that succeeded, for onChange alone: the caller's own objects, nothing copied (a cold apply has 50,000).
    const done: IpvsOp[] | null = this.onChange ? [] : null;
    const results = ops.map((op): OpResult => {
      try {
        try {
          checkOp(op);
        } catch (e) {
          // Refused before reaching the kernel, as NetlinkDataplane does: no message is counted.
          if (e instanceof InputError) fail(e.errno, `${describeOp(op)}: ${e.message}`);
          throw e;
        }
        this.sent++;
        this.applyOne(op);
        done?.push(op);
        return { ok: true };
      } catch (e) {
        if (e instanceof DataplaneError) return { ok: false, errno: e.errno, code: e.code, message: e.message };
        throw e;
      }
    });
    if (ops.length) await this.changed({ apply: done ?? [] });
    return results;
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    this.sent++;
    return { ...this.timeouts };
  }

  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    try {
      checkTimeouts(t);
    } catch (e) {
      if (e instanceof InputError) fail(e.errno, `setTimeouts: ${e.message}`);
      throw e;
    }
    this.sent++;
    // ip_vs_set_timeout: all three are checked first, then each non-zero one is set (0 = unchanged).
    for (const v of [t.tcp, t.tcpFin, t.udp]) if (v !== undefined && v > MAX_TIMEOUT) fail(EINVAL, 'setTimeouts');
    const set = pickTimeouts(t);
    Object.assign(this.timeouts, set);
    await this.changed({ setTimeouts: set });
  }

  async zero(key?: ServiceKey): Promise<void> {
    let parsed: ServiceKey | null = null;
    if (key === undefined) {
      this.sent++;
      for (const s of this.services.values()) this.zeroService(s);
    } else {
      const request = `zero ${describeKey(key)}`;
      parsed = this.parseKey(key, request);
      this.sent++;
      const stored = this.find(parsed);
      if (!stored) fail(ESRCH, request);
      this.zeroService(stored);
    }
    await this.changed({ zero: parsed });
  }

  async flush(): Promise<void> {
    this.sent++;
    this.services.clear();
    await this.changed({ flush: true });
  }

  /**
   * Makes again a change this table's twin made (the lab's journal, read back): no message counted, no onChange
   * (it is on file already). Throws when the change does not fit, which means the table is not the one it was made on.
   */
  replay(change: MemoryChange): void {
    if ('apply' in change) for (const op of change.apply) this.applyOne(op);
    else if ('setTimeouts' in change) this.timeouts = { ...this.timeouts, ...pickTimeouts(change.setTimeouts) };
    else if ('zero' in change) {
      if (change.zero === null) for (const s of this.services.values()) this.zeroService(s);
      else {
        const stored = this.find(change.zero);
        if (!stored) fail(ESRCH, `zero ${describeKey(change.zero)}`);
        this.zeroService(stored);
      }
    } else if ('flush' in change) this.services.clear();
    else throw new Error(`not a table change: ${JSON.stringify(change)}`);
  }

  messagesSent(): number {
    return this.sent;
  }

  async close(): Promise<void> {}

  /** Test and lab hook: add to a service's or a destination's counters as traffic would. */
  addTraffic(key: ServiceKey, dest: { addr: string; port: number } | null, delta: Partial<IpvsStats>): void {
    const stored = this.find(kernelKey(checkKey(key)));
    if (!stored) fail(ESRCH, `addTraffic ${describeKey(key)}`);
    const targets = [stored.stats];
    if (dest) {
      const id = checkDestId(stored.service.key.af, dest);
      const d = stored.dests.find((x) => x.dest.af === id.af && x.dest.addr === id.addr && x.dest.port === id.port);
      if (!d) fail(ENOENT, `addTraffic ${describeKey(key)}`);
      targets.push(d.stats);
    }
    for (const t of targets) for (const [k, v] of Object.entries(delta)) t[k as keyof IpvsStats] += v as bigint;
  }

  toJSON(): MemoryDataplaneJSON {
    return {
      format: 'lbctl-memory-ipvs',
      version: 1,
      timeouts: { ...this.timeouts },
      services: [...this.services.values()].map((s) => ({
        service: structuredClone(s.service),
        stats: statsToJSON(s.stats),
        dests: s.dests.map((d) => ({
          dest: structuredClone(d.dest),
          stats: statsToJSON(d.stats),
          ...(d.conns ? { activeConns: d.conns.active, inactConns: d.conns.inact } : {}),
        })),
      })),
    };
  }

  /**
   * toJSON's table as JSON text, one service per line, zero counters left out (what fromJSON reads back to the
   * same table), built without copying the table first: the lab's snapshot (at 10,000 services the copies cost
   * more than the write).
   */
  toJSONText(): string {
    const parts: string[] = [];
    this.toJSONChunks((text) => parts.push(text));
    return parts.join('');
  }

  /**
   * toJSONText's text handed to `take` in consecutive pieces of about `size` characters, all before it returns
   * (one consistent table): the lab's writer turns each into bytes at once and never holds the 7 MB text of a
   * 10,000-service table as one string beside its bytes.
   */
  toJSONChunks(take: (text: string) => void, size = 1 << 20): void {
    let buf = `{"format":"lbctl-memory-ipvs","version":1,"timeouts":${JSON.stringify(this.timeouts)},"services":[\n`;
    let first = true;
    for (const s of this.services.values()) {
      // The connection counts a lab sets by hand (what a drain waits for) are kept, as toJSON keeps them.
      let dests = '';
      for (const d of s.dests) {
        const conns = d.conns ? `,"activeConns":${d.conns.active},"inactConns":${d.conns.inact}` : '';
        dests += `${dests ? ',' : ''}{"dest":${JSON.stringify(d.dest)}${statsField(d.stats)}${conns}}`;
      }
      buf += `${first ? '' : ',\n'}{"service":${JSON.stringify(s.service)}${statsField(s.stats)},"dests":[${dests}]}`;
      first = false;
      if (buf.length >= size) {
        take(buf);
        buf = '';
      }
    }
    take(`${buf}\n]}`);
  }

  static fromJSON(json: unknown, opts: MemoryDataplaneOptions = {}): MemoryDataplane {
    const j = json as MemoryDataplaneJSON;
    if (!j || j.format !== 'lbctl-memory-ipvs' || j.version !== 1 || !Array.isArray(j.services))
      throw new Error('not an lbctl in-memory IPVS table (expected format "lbctl-memory-ipvs", version 1)');
    const dp = new MemoryDataplane(opts);
    dp.timeouts = { ...DEFAULT_TIMEOUTS, ...j.timeouts };
    for (const s of j.services) {
      const service = checkService(s.service);
      service.flags = s.service.flags | SVC_F_HASHED;
      const key = kernelKey(service.key);
      if ('addr' in key) key.addr = unshared(key.addr);
      service.key = key;
      const dests = s.dests.map((d) => {
        const dest = checkDest(key.af, d.dest);
        dest.addr = unshared(dest.addr);
        return { dest, stats: statsFromJSON(d.stats), ...connsFromJSON(d) };
      });
      dp.services.set(keyId(key), { service, stats: statsFromJSON(s.stats), dests });
    }
    return dp;
  }

  // ---- internals ----

  private async changed(change: MemoryChange) {
    if (this.onChange) await this.onChange(this, change);
  }

  private parseKey(key: ServiceKey, request: string): ServiceKey {
    try {
      return kernelKey(checkKey(key));
    } catch (e) {
      if (e instanceof InputError) fail(e.errno, request);
      throw e;
    }
  }

  private find(key: ServiceKey): StoredService | undefined {
    return this.services.get(keyId(key));
  }

  private zeroService(s: StoredService) {
    s.stats = zeroStats();
    for (const d of s.dests) d.stats = zeroStats();
  }

  // Fields in the order netlink/ipvs-codec.ts decodes them, the counters last and only when asked for.
  private readService(s: StoredService, counters = true): IpvsService {
    const out: IpvsService = {
      key: copyKey(s.service.key),
      scheduler: s.service.scheduler,
      flags: s.service.flags & ~SVC_F_HASHED,
      timeout: s.service.timeout,
      netmask: s.service.netmask,
    };
    if (s.service.peName) out.peName = s.service.peName;
    if (counters) out.stats = cloneStats(s.stats);
    return out;
  }

  private readDest(s: StoredService, d: StoredDest, counters = true): IpvsDest {
    const out: IpvsDest = {
      addr: d.dest.addr,
      port: d.dest.port,
      fwdMethod: d.dest.fwdMethod & 7,
      weight: d.dest.weight,
      uThresh: d.dest.uThresh,
      lThresh: d.dest.lThresh,
      tunType: d.dest.tunType ?? 0,
      tunPort: d.dest.tunPort ?? 0,
      tunFlags: d.dest.tunFlags ?? 0,
      activeConns: d.conns?.active ?? 0,
      inactConns: d.conns?.inact ?? 0,
      persistConns: 0,
    };
    if (d.dest.af !== s.service.key.af) out.af = d.dest.af;
    if (counters) out.stats = cloneStats(d.stats);
    return out;
  }

  private applyOne(op: IpvsOp): void {
    // The request's text only when an error needs it: formatting it for each of 50,000 ops cost more than the ops.
    let text: string | undefined;
    const describe = () => (text ??= describeOp(op));
    const guard = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof InputError) fail(e.errno, describe());
        throw e;
      }
    };
    switch (op.op) {
      case 'newService': {
        const service = guard(() => checkService(op.service));
        service.key = kernelKey(service.key);
        if (this.find(service.key)) fail(EEXIST, describe());
        this.checkServiceSettings(service, describe);
        service.flags = (service.flags | SVC_F_HASHED) >>> 0;
        this.services.set(keyId(service.key), { service, stats: zeroStats(), dests: [] });
        return;
      }
      case 'setService': {
        const service = guard(() => checkService(op.service));
        service.key = kernelKey(service.key);
        const stored = this.find(service.key);
        if (!stored) fail(ESRCH, describe());
        this.checkServiceSettings(service, describe);
        service.flags = (service.flags | SVC_F_HASHED) >>> 0;
        stored.service = service;
        return;
      }
      case 'delService': {
        const key = guard(() => kernelKey(checkKey(op.key)));
        if (!this.services.delete(keyId(key))) fail(ESRCH, describe());
        return;
      }
      case 'newDest':
      case 'setDest': {
        const key = guard(() => kernelKey(checkKey(op.key)));
        const stored = this.find(key);
        if (!stored) fail(ESRCH, describe());
        const dest = guard(() => checkDest(key.af, op.dest));
        // Mixed families only with tunnel forwarding (ip_vs_genl_set_cmd).
        if (dest.af !== key.af && (dest.fwdMethod & 7) !== FWD_TUNNEL) fail(EINVAL, describe());
        if (dest.weight < 0 || dest.weight > 0x7fffffff) fail(ERANGE, describe());
        if (dest.lThresh > dest.uThresh) fail(ERANGE, describe());
        if (dest.tunType === TUN_GUE && !dest.tunPort) fail(EINVAL, describe());
        const index = stored.dests.findIndex((x) => x.dest.af === dest.af && x.dest.addr === dest.addr && x.dest.port === dest.port);
        if (op.op === 'newDest') {
          if (index >= 0) fail(EEXIST, describe());
          if (!(dest.af === AF_INET ? isUsableV4Dest(dest.addr) : isUsableV6Dest(dest.addr))) fail(EINVAL, describe());
          stored.dests.push({ dest, stats: zeroStats() });
        } else {
          if (index < 0) fail(ENOENT, describe());
          stored.dests[index].dest = dest;
        }
        return;
      }
      case 'delDest': {
        const key = guard(() => kernelKey(checkKey(op.key)));
        const stored = this.find(key);
        if (!stored) fail(ESRCH, describe());
        const id = guard(() => checkDestId(key.af, op.dest));
        const index = stored.dests.findIndex((x) => x.dest.af === id.af && x.dest.addr === id.addr && x.dest.port === id.port);
        if (index < 0) fail(ENOENT, describe());
        stored.dests.splice(index, 1);
        return;
      }
    }
  }

  /** ip_vs_add_service / ip_vs_edit_service: scheduler, persistence engine, IPv6 prefix length. */
  private checkServiceSettings(s: IpvsService, request: () => string) {
    if (!KNOWN_SCHEDULERS.includes(s.scheduler)) fail(ENOENT, request());
    if (s.peName && !KNOWN_PERSISTENCE_ENGINES.includes(s.peName)) fail(ENOENT, request());
    if (s.key.af === AF_INET6 && (s.netmask < 1 || s.netmask > 128)) fail(EINVAL, request());
  }
}

