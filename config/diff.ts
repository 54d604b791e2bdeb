// The structural difference of two configurations, and its rendering in the manner of Junos `show | compare`:
//
//   [edit services web]
//   -   scheduler: wlc
//   +   scheduler: rr
//   [edit services web backends]
//   +   - address: 198.51.100.14
//   +     weight: 100
//
// Services are matched by name, backends by address and port, VRRP instances by name; any other list (ports,
// flags, status codes) is one value. Values are compared with defaults filled in, so a change from the default
// shows its old value; whole added or removed items are shown as written (defaults left out).
import type { Config, Service } from './model.js';
import { canonicalAddress, ipFamily } from './derive.js';
import { renderFragment, toWritten } from './render.js';
import { sameData } from './same-data.js';
import { changedIndexesInPlace } from './delta.js';

export interface ConfigChange {
  /** Keys and item names: ['services', 'web', 'backends', '198.51.100.11', 'weight']. */
  path: string[];
  /** The path as the shell and `[edit …]` headers print it: `services web backends 198.51.100.11 weight`. */
  text: string;
  kind: 'add' | 'remove' | 'change';
  /** Written form (port ranges as `7543-7814`); absent for 'add'. Whole items omit their defaults. */
  old?: unknown;
  /** Written form; absent for 'remove'. */
  new?: unknown;
  /** True when the path names a whole item of a list (a service, a backend, a VRRP instance). */
  item: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);


/** The name of a list item in paths: a service's or instance's name, a backend's address (and port unless 0). */
export function itemLabel(listKey: string, item: unknown, index: number): string {
  if (isObj(item)) {
    if ((listKey === 'services' || listKey === 'instances') && typeof item.name === 'string') return item.name;
    if (listKey === 'backends' && typeof item.address === 'string') {
      const a = canonicalAddress(item.address);
      const port = typeof item.port === 'number' ? item.port : 0;
      if (port === 0) return a;
      return ipFamily(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`;
    }
  }
  return `#${index}`;
}

const KEYED_LISTS = new Set(['services', 'backends', 'instances']);

/** Every difference between a and b, in the order of b's hierarchy (removed items before the rest of their list). */
export function diffConfig(a: Config, b: Config): ConfigChange[] {
  const out: ConfigChange[] = [];
  const [sa, sb] = withoutSharedSections(...withoutEqualServices(a, b));
  walk(toWritten(sa, { withDefaults: true }), toWritten(sb, { withDefaults: true }), toWritten(sa), toWritten(sb), [], '', out);
  return out;
}

/**
 * Both configurations without the services that are identical in both (matched by a name each holds once): they
 * contribute no change, and leaving them out makes a diff cost what the change costs, not what the configuration
 * does (a one-weight change among 10,000 services compares 10,000 objects instead of rendering them all). The
 * remaining services keep their relative order, so the changes come out in the same order as before.
 */
export function withoutEqualServices(a: Config, b: Config): [Config, Config] {
  const la = Array.isArray(a.services) ? a.services : null;
  const lb = Array.isArray(b.services) ? b.services : null;
  if (!la || !lb || la.length === 0 || lb.length === 0) return [a, b];
  // Services kept in place (the usual commit): the changed ones found by identity first (config/delta.ts), each a
  // mapping named as before. An item both lists share contributes nothing, whatever it is.
  const inPlace = changedIndexesInPlace(la, lb);
  if (inPlace && inPlace.every((i) => isObj(la[i]) && isObj(lb[i]))) {
    if (inPlace.length === la.length) return [a, b];
    return [
      { ...a, services: inPlace.map((i) => la[i]) },
      { ...b, services: inPlace.map((i) => lb[i]) },
    ];
  }
  // A list holding a non-mapping (an invalid candidate) is compared whole by walk(): leave it whole.
  if (!la.every(isObj) || !lb.every(isObj)) return [a, b];
  const once = (list: Service[]) => {
    const seen = new Map<unknown, Service | null>();
    for (const s of list) {
      const name = (s as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') continue;
      seen.set(name, seen.has(name) ? null : s);
    }
    return seen;
  };
  const ia = once(la);
  const ib = once(lb);
  const same = new Set<string>();
  for (const [name, s] of ia) {
    const t = ib.get(name);
    if (s && t && sameData(s, t)) same.add(name as string);
  }
  if (same.size === 0) return [a, b];
  const keep = (list: Service[]) => list.filter((s) => !same.has((s as { name?: unknown } | null)?.name as string));
  return [
    { ...a, services: keep(la) },
    { ...b, services: keep(lb) },
  ];
}

/**
 * Both configurations without the top-level sections they hold as the very same value (a commit's candidate
 * shares its base's sections unless they changed): such a section contributes no change, and its written form
 * (every key of it, with and without defaults, four times) need not be made. A section written on one side only,
 * or as two values, stays on both sides.
 */
export function withoutSharedSections(a: Config, b: Config): [Config, Config] {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  const shared = Object.keys(x).filter((k) => k !== 'services' && x[k] !== undefined && k in y && x[k] === y[k]);
  if (shared.length === 0) return [a, b];
  const without = (c: Record<string, unknown>) => {
    const out = { ...c };
    for (const k of shared) delete out[k];
    return out as unknown as Config;
  };
  return [without(x), without(y)];
}

function push(out: ConfigChange[], path: string[], kind: ConfigChange['kind'], old: unknown, neu: unknown, item = false): void {
  const c: ConfigChange = { path, text: path.join(' '), kind, item };
  if (kind !== 'add') c.old = old;
  if (kind !== 'remove') c.new = neu;
  out.push(c);
}

function walk(a: unknown, b: unknown, aShort: unknown, bShort: unknown, path: string[], listKey: string, out: ConfigChange[]): void {
  if (isObj(a) && isObj(b)) {
    const keys = [...Object.keys(b), ...Object.keys(a).filter((k) => !(k in b))];
    for (const k of keys) {
      const x = a[k];
      const y = b[k];
      const xs = isObj(aShort) ? (aShort[k] ?? x) : x;
      const ys = isObj(bShort) ? (bShort[k] ?? y) : y;
      if (x === undefined && y === undefined) continue;
      if (x === undefined) push(out, [...path, k], 'add', undefined, ys);
      else if (y === undefined) push(out, [...path, k], 'remove', xs, undefined);
      else walk(x, y, xs, ys, [...path, k], k, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && KEYED_LISTS.has(listKey) && [...a, ...b].every(isObj)) {
    const label = (list: unknown[]) => list.map((item, i) => itemLabel(listKey, item, i));
    const la = label(a);
    const lb = label(b);
    const aShortList = Array.isArray(aShort) ? aShort : a;
    const bShortList = Array.isArray(bShort) ? bShort : b;
    // First index of each label (as indexOf would find it), in maps: lists of thousands of services.
    const firstIndex = (labels: string[]) => {
      const m = new Map<string, number>();
      labels.forEach((l, i) => m.has(l) || m.set(l, i));
      return m;
    };
    const ia = firstIndex(la);
    const ib = firstIndex(lb);
    la.forEach((name, i) => {
      if (!ib.has(name)) push(out, [...path, name], 'remove', aShortList[i], undefined, true);
    });
    lb.forEach((name, j) => {
      const i = ia.get(name) ?? -1;
      if (i === -1) push(out, [...path, name], 'add', undefined, bShortList[j], true);
      else walk(a[i], b[j], aShortList[i], bShortList[j], [...path, name], '', out);
    });
    return;
  }
  if (!sameData(a, b)) push(out, path, 'change', aShort, bShort);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words a YAML reader might take for something other than a string (a key like that is left to the library). */
const RESERVED_KEY = /^(true|false|null|yes|no|on|off|y|n)$/i;

/**
 * `key: value` as the YAML library writes it, for the usual change (a weight, a flag): a plain key and a safe
 * integer or a boolean. The library's document model costs ~100× more, and a commit renders the change twice (its
 * audit record and `show | compare`). Null for anything else: the library decides.
 */
export function plainPair(key: string, v: unknown): string | null {
  if (!PLAIN_KEY.test(key) || RESERVED_KEY.test(key)) return null;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0))) return `${key}: ${v}\n`;
  return null;
}

/**
 * `show | compare`: a `[edit PATH]` header per changed level, then `-` lines for what goes and `+` lines for
 * what comes, as YAML. Items of keyed lists appear as list entries (`- name: api`). Empty string when equal.
 */
export function renderCompare(a: Config, b: Config): string {
  // One header per edited place: changes under the same parent are printed together, in first-seen order, so a
  // header is never repeated further down (Junos).
  const groups = new Map<string, { leaf: string; change: ReturnType<typeof diffConfig>[number] }[]>();
  for (const c of diffConfig(a, b)) {
    const parent = c.path.slice(0, -1);
    const h = `[edit${parent.length > 0 ? ' ' + parent.join(' ') : ''}]`;
    const group = groups.get(h) ?? [];
    group.push({ leaf: c.path[c.path.length - 1], change: c });
    groups.set(h, group);
  }
  const lines: string[] = [];
  for (const [h, group] of groups) {
    lines.push(h);
    for (const { leaf, change: c } of group) {
      // An added or removed list item is shown under its list, as a list entry.
      const body = (v: unknown) => (c.item ? renderFragment([v]) : (plainPair(leaf, v) ?? renderFragment({ [leaf]: v })));
      if (c.kind !== 'add') for (const l of body(c.old).trimEnd().split('\n')) lines.push(`-   ${l}`);
      if (c.kind !== 'remove') for (const l of body(c.new).trimEnd().split('\n')) lines.push(`+   ${l}`);
    }
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
