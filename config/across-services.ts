// The rules that look across services (a name is used once, an identity vip + protocol + port or a fwmark is
// served once, the limits' totals), kept as an index of the last configuration that passed validation whole.
// A commit among 10,000 services validates a candidate that shares all but a few frozen services with the
// configuration validated before it (the running revision's, or the previous candidate's): with the index, those
// rules check the changed services alone instead of building maps of 10,000 names and identities again.
//
// The index only ever answers "these changes keep the configuration clean". A clash, a limit reached, a changed
// top-level vip or limits, or more changes than a whole pass would cost: it answers null, and validation takes
// the whole path, which words every error exactly as it always did. It is kept (updated) only once the whole
// candidate has validated without an error.
import { isIP } from 'node:net';
import type { Path } from './errors.js';
import { backendKey, effectiveVip, portBounds } from './derive.js';
import { changedIndexesInPlace } from './delta.js';
import type { Service } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export type PortSpec = number | { from: number; to: number };

export function specIsValid(p: unknown): p is PortSpec {
  if (isInt(p)) return p >= 1 && p <= 65535;
  return isObj(p) && isInt(p.from) && isInt(p.to) && p.from >= 1 && p.to <= 65535 && p.from <= p.to;
}

/** Every valid port spec of a service with its model path. */
export function portSpecs(s: Obj, base: Path): { spec: PortSpec; path: Path }[] {
  const out: { spec: PortSpec; path: Path }[] = [];
  for (const key of ['ports', 'port_ranges']) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    list.forEach((p, j) => {
      if (specIsValid(p)) out.push({ spec: p, path: [...base, key, j] });
    });
  }
  return out;
}

export interface PortIdentities {
  path: Path;
  /** `vip|protocol|port` and the port, for each port of the spec. */
  keys: Array<[string, number]>;
}

/**
 * The identities of a service with ports at index `index`, per valid port spec. They depend on the service, its
 * index and the vip alone, so a frozen service's are remembered with those (as validation remembers a clean
 * service's own checks): a commit among 10,000 services builds the keys of the services it changed.
 */
const rememberedIdentities = new WeakMap<object, { index: number; vip: unknown; ids: PortIdentities[] }>();

export function portIdentities(s: Obj, index: number, vip: string | undefined): PortIdentities[] {
  const known = rememberedIdentities.get(s);
  if (known && known.index === index && known.vip === vip) return known.ids;
  const ids: PortIdentities[] = [];
  if (isStr(vip) && isIP(vip) !== 0 && isStr(s.protocol)) {
    const vipKey = backendKey({ address: vip, port: 0 });
    for (const { spec, path } of portSpecs(s, ['services', index])) {
      const [from, to] = portBounds(spec);
      const keys: Array<[string, number]> = [];
      for (let port = from; port <= to; port++) keys.push([`${vipKey}|${s.protocol}|${port}`, port]);
      ids.push({ path, keys });
    }
  }
  if (Object.isFrozen(s)) rememberedIdentities.set(s, { index, vip, ids });
  return ids;
}

export interface ServiceLimits {
  maxRange: number;
  maxServices: number;
}

export function limitsOf(config: Obj): ServiceLimits {
  const limits = isObj(config.daemon) && isObj(config.daemon.limits) ? config.daemon.limits : {};
  return {
    maxRange: isInt(limits.max_ports_per_range) ? limits.max_ports_per_range : Infinity,
    maxServices: isInt(limits.max_services) ? limits.max_services : Infinity,
  };
}

/** What one service holds in the index: its name, its identities, and how many IPVS services it expands to. */
interface Entry {
  /** The service object when frozen (so the same object later is the same service), else NOT_SHARED. */
  item: unknown;
  name?: string;
  mark?: number;
  keys: string[];
  size: number;
  /** A range above max_ports_per_range (an error: never in the index, only in a step that then fails). */
  oversize: boolean;
}

/** Matches no service: an unfrozen one may change after it was indexed, so it always counts as changed. */
const NOT_SHARED = Symbol('not shared');

function entryOf(s: unknown, index: number, config: Obj, limits: ServiceLimits): Entry {
  const entry: Entry = { item: Object.isFrozen(s) && isObj(s) ? s : NOT_SHARED, keys: [], size: 0, oversize: false };
  if (!isObj(s)) return entry;
  if (isStr(s.name)) entry.name = s.name;
  if (isInt(s.fwmark)) {
    entry.mark = s.fwmark;
    entry.size = 1;
    return entry;
  }
  for (const id of portIdentities(s, index, effectiveVip(config as { vip?: string }, s as { vip?: string }))) for (const [key] of id.keys) entry.keys.push(key);
  for (const { spec } of portSpecs(s, [])) {
    const [from, to] = portBounds(spec);
    if (to - from + 1 > limits.maxRange) entry.oversize = true;
    else entry.size += to - from + 1;
  }
  return entry;
}

/** More changed services than this (or than half the list), and a whole pass costs no more than the index. */
const MAX_CHANGES = 256;

export interface AcrossServicesStep {
  /** Indexes of the candidate's services that are not the indexed ones (their own checks must run). */
  changed: number[];
  /** Keeps the candidate as the index (call only once it has validated without an error). */
  keep(): void;
}

class AcrossServicesIndex {
  private constructor(
    private vip: unknown,
    private limits: ServiceLimits,
    private entries: Entry[],
    private readonly names: Map<string, number>,
    private readonly ports: Map<string, number>,
    private readonly marks: Map<number, number>,
    private total: number,
    /** The list the entries were made from, when frozen: a commit's candidate list says what changed from it. */
    private list: readonly unknown[] | null = null,
  ) {}

  /** The index of a configuration that passed validation whole (so no name or identity repeats). */
  static of(config: Obj, services: unknown[]): AcrossServicesIndex {
    const limits = limitsOf(config);
    const index = new AcrossServicesIndex(config.vip, limits, [], new Map(), new Map(), new Map(), 0);
    index.entries = services.map((s, i) => entryOf(s, i, config, limits));
    index.entries.forEach((e, i) => index.add(e, i));
    index.list = Object.isFrozen(services) ? services : null;
    return index;
  }

  /**
   * Whether the rules across services hold for `config`, judged from its changes against the index: a step to
   * keep once the rest of validation passed, or null (the whole pass must decide).
   */
  step(config: Obj): AcrossServicesStep | null {
    const services = config.services;
    if (!Array.isArray(services) || config.vip !== this.vip) return null;
    const limits = limitsOf(config);
    if (limits.maxRange !== this.limits.maxRange || limits.maxServices !== this.limits.maxServices) return null;
    const n = services.length;
    const m = this.entries.length;
    const most = Math.min(MAX_CHANGES, Math.floor(Math.max(n, m) / 2));
    const known = this.knownChanges(services);
    const changed: number[] = known ?? [];
    if (changed.length > most) return null;
    for (let i = 0; !known && i < n; i++) {
      if (i < m && services[i] === this.entries[i].item) continue;
      if (changed.push(i) > most) return null;
    }
    if (m - n > most) return null;
    /** Indexes whose indexed entries go away (changed or removed): their names and identities are free. */
    const leaving = new Set(changed.filter((i) => i < m));
    for (let i = n; i < m; i++) leaving.add(i);
    const fresh = changed.map((i) => entryOf(services[i], i, config, limits));

    const heldElsewhere = <K>(map: Map<K, number>, key: K) => {
      const owner = map.get(key);
      return owner !== undefined && !leaving.has(owner);
    };
    const names = new Set<string>();
    const marks = new Set<number>();
    const ports = new Set<string>();
    let total = this.total;
    for (const i of leaving) total -= this.entries[i].size;
    for (const e of fresh) {
      if (e.oversize) return null;
      total += e.size;
      if (e.name !== undefined) {
        if (names.has(e.name) || heldElsewhere(this.names, e.name)) return null;
        names.add(e.name);
      }
      if (e.mark !== undefined) {
        if (marks.has(e.mark) || heldElsewhere(this.marks, e.mark)) return null;
        marks.add(e.mark);
      }
      for (const key of e.keys) {
        if (ports.has(key) || heldElsewhere(this.ports, key)) return null;
        ports.add(key);
      }
    }
    if (total > limits.maxServices) return null;

    return {
      changed,
      keep: () => {
        for (const i of leaving) this.remove(this.entries[i], i);
        this.entries.length = n;
        fresh.forEach((e, k) => {
          this.entries[changed[k]] = e;
          this.add(e, changed[k]);
        });
        this.total = total;
        this.list = Object.isFrozen(services) ? services : null;
      },
    };
  }

  /**
   * The indexes of `services` whose data differ from the indexed list's, when both lists are frozen and as long as
   * each other (config/delta.ts: remembered for a daemon's commit, so no pass over 10,000 entries); else null.
   * An index outside them holds a service with the same data: the same name, identities and size.
   */
  private knownChanges(services: unknown[]): number[] | null {
    const list = this.list;
    if (!list || list.length !== services.length || !Object.isFrozen(services)) return null;
    const known = changedIndexesInPlace(list as Service[], services as Service[]);
    return known ? [...known] : null;
  }

  private add(e: Entry, i: number): void {
    if (e.name !== undefined) this.names.set(e.name, i);
    if (e.mark !== undefined) this.marks.set(e.mark, i);
    for (const key of e.keys) this.ports.set(key, i);
    this.total += e.size;
  }

  private remove(e: Entry, i: number): void {
    if (e.name !== undefined && this.names.get(e.name) === i) this.names.delete(e.name);
    if (e.mark !== undefined && this.marks.get(e.mark) === i) this.marks.delete(e.mark);
    for (const key of e.keys) if (this.ports.get(key) === i) this.ports.delete(key);
  }
}

/**
 * The index of the configuration validated last without an error (one per process: the daemon's commits, or a
 * shell's candidates, follow one another). It holds that configuration's service objects, most of which the
 * running revision holds anyway.
 */
let last: AcrossServicesIndex | null = null;

/** The step from the last clean configuration to `config`, or null when the whole pass must decide. */
export function acrossServicesStep(config: Obj): AcrossServicesStep | null {
  return last?.step(config) ?? null;
}

/** Remember `config`, which passed validation whole without an error, as the index. */
export function rememberAcrossServices(config: Obj): void {
  last = Array.isArray(config.services) ? AcrossServicesIndex.of(config, config.services) : null;
}
