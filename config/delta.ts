// A candidate configuration as the difference from the configuration it was based on: what a client sends the
// daemon instead of the whole candidate (10 MB of JSON at 10,000 services, for a one-weight change). Services
// are matched by name. Pure: `configDelta(base, cand)` then `applyConfigDelta(base, delta)` gives back a
// configuration equal to `cand`, services in the same order, sharing the unchanged service objects with `base`.
import type { Config, Service } from './model.js';
import { sameData } from './same-data.js';

export interface ConfigDelta {
  /** Top-level keys other than `services` whose value changed (a key in `unset` is absent from the candidate). */
  set: Record<string, unknown>;
  unset: string[];
  /** Services added or changed, whole. */
  services: Service[];
  /** Names of the services the candidate no longer has. */
  removed: string[];
  /** The candidate's service names in order, when that order is not the base's with additions at the end. */
  order?: string[];
}

const byNameMemo = new WeakMap<object, ReadonlyMap<string, Service> | null>();

/**
 * Services by name, or null when a name is missing or repeated (names do not identify services then).
 * Remembered for a frozen list (the running revision's: a commit asks for it several times).
 */
export function servicesByName(list: Service[]): ReadonlyMap<string, Service> | null {
  const known = byNameMemo.get(list);
  if (known !== undefined) return known;
  let m: Map<string, Service> | null = new Map();
  for (const s of list) {
    if (typeof s?.name !== 'string' || m.has(s.name)) {
      m = null;
      break;
    }
    m.set(s.name, s);
  }
  if (Object.isFrozen(list)) byNameMemo.set(list, m);
  return m;
}

/** Each service's index by name, or null when names do not identify services; remembered for a frozen list. */
const nameIndexes = new WeakMap<object, ReadonlyMap<string, number> | null>();

export function nameIndex(list: Service[]): ReadonlyMap<string, number> | null {
  const known = nameIndexes.get(list);
  if (known !== undefined) return known;
  let index: Map<string, number> | null = new Map();
  for (let i = 0; i < list.length && index; i++) {
    const name = list[i]?.name;
    if (typeof name !== 'string' || index.has(name)) index = null;
    else index.set(name, i);
  }
  if (Object.isFrozen(list)) nameIndexes.set(list, index);
  return index;
}

/**
 * The services of `cand` that differ from `base`'s when `cand` keeps them in place (as many services, the same
 * name at each index): a change inside services, the usual commit. Found by identity first: a candidate shares
 * its unchanged services' objects with its base (the daemon's revision is frozen, and so is its list, whose index
 * by name is remembered), so a one-weight change at 10,000 services compares 10,000 pointers, not two maps of
 * names. Null: not that case (or names that do not identify services).
 */
export function changedInPlace(base: Service[], cand: Service[]): Service[] | null {
  return changedIndexesInPlace(base, cand)?.map((i) => cand[i]) ?? null;
}

/**
 * The recent answers of changedIndexesInPlace for a frozen candidate list, each with the frozen base it was
 * asked for (newest first). A commit asks of several pairs around one candidate: the running revision and the
 * candidate (the audit's difference, the file plan, the health runner), the same pair the other way round (the
 * store's "nothing changed?"), and the revision file's checkpoint and the candidate (the revision's difference).
 */
//
// The bases are held weakly: a strong one would keep every earlier revision's list (and the services it
// replaced) alive through its successor, commit after commit, for as long as the daemon runs.
const changedMemo = new WeakMap<object, Array<{ base: WeakRef<Service[]>; changed: readonly number[] | null }>>();
const REMEMBERED_BASES = 4;

function remembered(base: Service[], cand: Service[]): { changed: readonly number[] | null } | undefined {
  return changedMemo.get(cand)?.find((k) => k.base.deref() === base);
}

function rememberChanged(base: Service[], cand: Service[], changed: readonly number[] | null): readonly number[] | null {
  const kept = changed && Object.freeze(changed);
  const known = (changedMemo.get(cand) ?? []).filter((k) => k.base.deref() !== undefined && k.base.deref() !== base);
  changedMemo.set(cand, [{ base: new WeakRef(base), changed: kept }, ...known].slice(0, REMEMBERED_BASES));
  return kept;
}

/**
 * changedInPlace's services as their indexes (the same in both lists). Remembered when both lists are frozen
 * (the daemon's running revision and the candidate a delta built): the file plan, the audit's difference and the
 * health runner each ask it of the same commit, and under emulation each pass over 10,000 pointers costs ~25 ms.
 * Without a pass when it can be told from what is remembered: the same pair the other way round (the same
 * indexes), or two remembered steps base → middle → cand (only the indexes either step changed can differ, and
 * those are compared; an index neither changed holds equal data in all three, as equality of data is transitive).
 */
export function changedIndexesInPlace(base: Service[], cand: Service[]): readonly number[] | null {
  if (!Object.isFrozen(base) || !Object.isFrozen(cand)) return findChangedIndexes(base, cand);
  const known = remembered(base, cand) ?? remembered(cand, base);
  if (known) return known.changed;
  return rememberChanged(base, cand, throughMiddle(base, cand) ?? findChangedIndexes(base, cand));
}

/** The changed indexes from two remembered steps base → middle → cand; undefined when none is remembered. */
function throughMiddle(base: Service[], cand: Service[]): number[] | null | undefined {
  for (const second of changedMemo.get(cand) ?? []) {
    const middle = second.base.deref();
    const first = middle && remembered(base, middle);
    if (!first) continue;
    // Either step not in place (other lengths or names at an index): nor is the whole.
    if (first.changed === null || second.changed === null) return null;
    const maybe = [...new Set([...first.changed, ...second.changed])].sort((a, b) => a - b);
    return maybe.filter((i) => base[i] !== cand[i] && !sameData(base[i], cand[i]));
  }
  return undefined;
}

function findChangedIndexes(base: Service[], cand: Service[]): number[] | null {
  if (base.length !== cand.length || !nameIndex(base)) return null;
  const changed: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const a = base[i];
    const b = cand[i];
    if (a === b) continue;
    if (typeof b?.name !== 'string' || b.name !== a?.name) return null;
    if (!sameData(a, b)) changed.push(i);
  }
  return changed;
}

/** The delta from `base` to `cand`, or null when names do not identify services (missing or repeated). */
export function configDelta(base: Config, cand: Config): ConfigDelta | null {
  if (!Array.isArray(base.services) || !Array.isArray(cand.services)) return null;
  const delta: ConfigDelta = { set: {}, unset: [], services: [], removed: [] };
  const b = base as unknown as Record<string, unknown>;
  const c = cand as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(b), ...Object.keys(c)])) {
    if (k === 'services' || sameData(b[k], c[k])) continue;
    if (c[k] === undefined) delta.unset.push(k);
    else delta.set[k] = c[k];
  }
  const inPlace = changedInPlace(base.services, cand.services);
  if (inPlace) return { ...delta, services: inPlace };
  const before = servicesByName(base.services);
  const after = servicesByName(cand.services);
  if (!before || !after) return null;
  for (const s of cand.services) {
    const old = before.get(s.name);
    if (!old || !sameData(old, s)) delta.services.push(s);
  }
  for (const name of before.keys()) if (!after.has(name)) delta.removed.push(name);
  const natural = naturalOrder(base.services, after, delta.services);
  if (natural.length !== cand.services.length || natural.some((n, i) => n !== cand.services[i].name)) delta.order = cand.services.map((s) => s.name);
  return delta;
}

/** The base's order without removed services, then the new ones in the order the delta lists them. */
function naturalOrder(baseServices: Service[], keep: { has(name: string): boolean }, changed: Service[]): string[] {
  const names = baseServices.map((s) => s.name).filter((n) => keep.has(n));
  const known = new Set(names);
  for (const s of changed) if (!known.has(s.name)) names.push(s.name);
  return names;
}

/**
 * The candidate a delta describes. Unchanged services are `base`'s own objects (the caller must not change them;
 * the daemon's are frozen). Throws when the delta does not fit `base` (a name it orders that nobody has).
 */
export function applyConfigDelta(base: Config, delta: ConfigDelta): Config {
  const out: Record<string, unknown> = { ...(base as unknown as Record<string, unknown>) };
  for (const k of delta.unset) delete out[k];
  for (const [k, v] of Object.entries(delta.set)) out[k] = v;
  const inPlace = replacedInPlace(base.services, delta);
  if (inPlace) {
    out.services = inPlace;
    return out as unknown as Config;
  }
  const services = new Map<string, Service>();
  for (const s of base.services) services.set(s.name, s);
  for (const name of delta.removed) services.delete(name);
  for (const s of delta.services) services.set(s.name, s);
  const removed = new Set(delta.removed);
  const order = delta.order ?? naturalOrder(base.services, { has: (n) => !removed.has(n) }, delta.services);
  const list = order.map((name) => {
    const s = services.get(name);
    if (!s) throw new Error(`the delta orders a service "${name}" that neither the base nor the delta has`);
    return s;
  });
  if (list.length !== services.size) throw new Error('the delta does not order every service');
  out.services = list;
  return out as unknown as Config;
}

/**
 * The base's list with the delta's services put in their places and new ones appended, when nothing is removed
 * or reordered and the names identify services (the base's index by name is remembered for a frozen list); what
 * the general path gives, without building maps of 10,000 names. Null: the general path decides.
 */
function replacedInPlace(list: Service[], delta: ConfigDelta): Service[] | null {
  if (delta.removed.length > 0 || delta.order !== undefined) return null;
  const index = nameIndex(list);
  if (!index || new Set(delta.services.map((s) => s.name)).size !== delta.services.length) return null;
  // Spread, not slice(): V8 copies a frozen array's elements one by one in slice() (~0.5 ms at 10,000 on the
  // host, ~10 ms under emulation), and the daemon's lists are frozen; spread copies them at once (~6 µs).
  const out = [...list];
  /** The indexes given a service whose data differ: a service the delta sends unchanged keeps the base's object. */
  const replaced: number[] = [];
  for (const s of delta.services) {
    const i = index.get(s.name);
    if (i === undefined) out.push(s);
    else if (!sameData(list[i], s)) {
      out[i] = s;
      replaced.push(i);
    }
  }
  if (out.length === list.length) {
    // The same names at the same indexes: the base's index by name is this list's too, and its services by name
    // differ in the replaced ones alone. Frozen (a list the daemon's next revision keeps), both are remembered,
    // so the next commit on top of this one builds neither map of 10,000 names.
    Object.freeze(out);
    nameIndexes.set(out, index);
    // Which indexes changed is known here, and they are the only ones whose objects differ: every later question
    // of this pair (the audit's difference, the file plan, the hash, the health runner) is answered without a
    // pass over 10,000 pointers.
    replaced.sort((a, b) => a - b);
    if (Object.isFrozen(list)) rememberChanged(list, out, replaced);
    builtFrom.set(out, { base: new WeakRef(list), replaced });
    const byName = byNameMemo.get(list);
    if (byName) byNameMemo.set(out, ReplacedServices.of(byName, replaced.map((i) => out[i])));
  }
  return out;
}

/**
 * Lists replacedInPlace built: the list they were built from (held weakly, as in changedMemo) and the indexes
 * whose objects they replaced.
 */
const builtFrom = new WeakMap<object, { base: WeakRef<Service[]>; replaced: readonly number[] }>();

/**
 * When `list` was built by applying a delta in place to another list that is still alive: that list and the
 * indexes where `list` holds another object (every other index holds the very object of the base). Lets the store
 * freeze a new revision's list by its new services alone when it froze the base deeply before.
 */
export function replacedFrom(list: readonly Service[]): { base: Service[]; replaced: readonly number[] } | undefined {
  const built = builtFrom.get(list);
  const base = built?.base.deref();
  return built && base ? { base, replaced: built.replaced } : undefined;
}

/**
 * Services by name: a base map with some services replaced by others of the same names (no name added or
 * removed). Replacing chains flatten into one level over a plain map, which is rebuilt once replacements are many.
 */
class ReplacedServices implements ReadonlyMap<string, Service> {
  private constructor(
    private readonly base: ReadonlyMap<string, Service>,
    private readonly replaced: ReadonlyMap<string, Service>,
  ) {}

  static of(base: ReadonlyMap<string, Service>, services: Service[]): ReadonlyMap<string, Service> {
    const root = base instanceof ReplacedServices ? base.base : base;
    const replaced = new Map(base instanceof ReplacedServices ? base.replaced : []);
    for (const s of services) replaced.set(s.name, s);
    const map = new ReplacedServices(root, replaced);
    return replaced.size > 64 && replaced.size * 8 > root.size ? new Map(map) : map;
  }

  get size(): number {
    return this.base.size;
  }
  get(name: string): Service | undefined {
    return this.replaced.get(name) ?? this.base.get(name);
  }
  has(name: string): boolean {
    return this.base.has(name);
  }
  keys(): MapIterator<string> {
    return this.base.keys();
  }
  *entries(): MapIterator<[string, Service]> {
    for (const [name, s] of this.base) yield [name, this.replaced.get(name) ?? s];
  }
  *values(): MapIterator<Service> {
    for (const [, s] of this.entries()) yield s;
  }
  [Symbol.iterator](): MapIterator<[string, Service]> {
    return this.entries();
  }
  forEach(fn: (s: Service, name: string, map: ReadonlyMap<string, Service>) => void): void {
    for (const [name, s] of this.entries()) fn(s, name, this);
  }
}

/**
 * The delta from `base` to `cand` when applying it gives back exactly `cand` (its services in the same order, each
 * other section the same), else null: callers that store a delta instead of the whole configuration then store
 * the whole. Cheap: the unchanged services are the base's own by construction, so only names and sections are
 * compared.
 */
export function exactConfigDelta(base: Config, cand: Config): ConfigDelta | null {
  const delta = configDelta(base, cand);
  if (!delta) return null;
  // Services changed in place (the same name at each index): applying the delta puts each changed one back at its
  // index and sets the sections to the candidate's, so it is exact by construction (no rebuild of 10,000).
  if (delta.order === undefined && delta.removed.length === 0 && changedIndexesInPlace(base.services, cand.services)) return delta;
  let rebuilt: Config;
  try {
    rebuilt = applyConfigDelta(base, delta);
  } catch {
    return null;
  }
  if (rebuilt.services.length !== cand.services.length) return null;
  for (let i = 0; i < rebuilt.services.length; i++) if (rebuilt.services[i].name !== cand.services[i].name) return null;
  const a = rebuilt as unknown as Record<string, unknown>;
  const b = cand as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (k !== 'services' && !sameData(a[k], b[k])) return null;
  return delta;
}
