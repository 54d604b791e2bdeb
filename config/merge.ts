// Combining configurations: the three-way merge behind `update` (rebase a private candidate onto the newest
// running) and the two `load` commands.
//
// Three-way merge: a change is what differs from the base. Where only one side changed something, that change
// is taken; where both changed the same thing identically, once; where both changed it differently, it is a
// conflict: the candidate's ("mine") value is kept in the merged result and the conflict is reported with the
// base, mine and theirs values so the operator can decide (and `show | compare` shows what he would commit).
// "The same thing" is a configuration path: services are matched by name, backends by address and port, VRRP
// instances by name (as config/diff.ts matches them), objects field by field; any other list (ports, flags,
// status codes) is one value. Deleting an item on one side while the other side modified it is a conflict too.
import type { Config } from './model.js';
import type { LoadResult } from './load.js';
import { backendKey } from './derive.js';
import { sameData } from './same-data.js';

export interface MergeConflict {
  /** ['services', 'web', 'backends', '10.0.0.1:8080', 'weight'] */
  path: string[];
  /** `services web backends 10.0.0.1:8080 weight` */
  text: string;
  /** undefined = absent on that side (not there in the base / deleted). */
  base: unknown;
  mine: unknown;
  theirs: unknown;
}

export interface MergeResult {
  merged: Config;
  conflicts: MergeConflict[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural equality; object key order and keys holding undefined do not count, array order does. */
export const deepEqual = sameData;

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/** The identity of an item in a keyed list at `path`, or null when the list is one value. */
function keyerFor(path: string[]): ((item: unknown) => string) | null {
  const at = path.join('\u0000');
  if (at === 'services' || at === 'ha\u0000instances') return (item) => String((item as { name?: unknown }).name);
  if (path.length === 3 && path[0] === 'services' && path[2] === 'backends') return (item) => backendKey(item as { address: string; port: number });
  return null;
}

function merge3(path: string[], base: unknown, mine: unknown, theirs: unknown, conflicts: MergeConflict[]): unknown {
  if (deepEqual(mine, theirs)) return clone(mine);
  if (deepEqual(base, mine)) return clone(theirs);
  if (deepEqual(base, theirs)) return clone(mine);
  // Both sides changed this, differently: look inside when the shapes allow it.
  const keyer = keyerFor(path);
  const listOrNone = (v: unknown) => v === undefined || Array.isArray(v);
  if (keyer && Array.isArray(mine) && Array.isArray(theirs) && listOrNone(base)) {
    return mergeKeyed(path, (base as unknown[] | undefined) ?? [], mine, theirs, keyer, conflicts);
  }
  // Both added an object at the same path (a service of the same name): compare field by field, so the
  // conflict names the fields that differ rather than the whole item.
  if ((isObj(base) || base === undefined) && isObj(mine) && isObj(theirs)) {
    const was: Obj = isObj(base) ? base : {};
    const out: Obj = {};
    const keys = [...new Set([...Object.keys(mine), ...Object.keys(theirs), ...Object.keys(was)])];
    for (const k of keys) {
      const v = merge3([...path, k], was[k], mine[k], theirs[k], conflicts);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  conflicts.push({ path, text: path.join(' '), base: clone(base), mine: clone(mine), theirs: clone(theirs) });
  return clone(mine);
}

/** Item by item; order: the candidate's items, then the ones only the other side added, in its order. */
function mergeKeyed(path: string[], base: unknown[], mine: unknown[], theirs: unknown[], keyer: (item: unknown) => string, conflicts: MergeConflict[]): unknown[] {
  const index = (list: unknown[]) => new Map(list.map((item) => [keyer(item), item] as const));
  const b = index(base);
  const m = index(mine);
  const t = index(theirs);
  const order = [...m.keys(), ...[...t.keys()].filter((k) => !m.has(k))];
  const out: unknown[] = [];
  for (const key of order) {
    const v = merge3([...path, key], b.get(key), m.get(key), t.get(key), conflicts);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * `update`: rebases `mine` (a private candidate based on `base`) onto `theirs` (the newest running). The merged
 * configuration still needs validation (two changes that merge cleanly may together be invalid).
 */
export function mergeConfigs(base: Config, mine: Config, theirs: Config): MergeResult {
  const conflicts: MergeConflict[] = [];
  const merged = merge3([], base, mine, theirs, conflicts) as Config;
  return { merged, conflicts };
}

/** `services web scheduler: base wlc, mine rr, theirs lc` (absent values shown as `(none)`). */
export function formatConflict(c: MergeConflict): string {
  const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
  return `${c.text}: base ${show(c.base)}, mine ${show(c.mine)}, theirs ${show(c.theirs)}`;
}

/**
 * What a set of configuration files writes, before defaults: the top-level mappings of every file merged (a
 * configuration directory splits one document over several files). `load merge` overrides only these.
 */
export function writtenOf(load: Pick<LoadResult, 'files'>): Obj {
  const out: Obj = {};
  for (const f of load.files) {
    let js: unknown;
    try {
      js = f.doc.toJS({ maxAliasCount: 1000 });
    } catch {
      continue;
    }
    if (!isObj(js)) continue;
    for (const [k, v] of Object.entries(js)) {
      if (k === 'services' && Array.isArray(out.services) && Array.isArray(v)) out.services = [...out.services, ...v];
      else if (isObj(out[k]) && isObj(v)) out[k] = { ...(out[k] as Obj), ...v };
      else out[k] = v;
    }
  }
  return out;
}

/** The candidate's value with the file's value put in where the file wrote something. */
function overlay(current: unknown, fromFile: unknown, written: unknown): unknown {
  if (fromFile === undefined) return clone(current);
  if (isObj(written) && isObj(current) && isObj(fromFile)) {
    const out: Obj = clone(current);
    for (const k of Object.keys(written)) {
      const v = overlay(current[k], fromFile[k], written[k]);
      if (v === undefined) delete out[k];
      else out[k] = v;
    }
    return out;
  }
  return clone(fromFile);
}

/**
 * Junos `load merge`: the file's services replace the candidate's services of the same name (in place) or are
 * added (at the end); global settings are overridden where the file writes them (field by field), and kept
 * where it does not. `file` is the file's validated configuration plus what it wrote (`writtenOf`).
 */
export function loadMerge(candidate: Config, file: { config: Config; written: Obj }): Config {
  const out = clone(candidate);
  for (const [key, value] of Object.entries(file.written)) {
    if (key === 'services') continue;
    const v = overlay((candidate as unknown as Obj)[key], (file.config as unknown as Obj)[key], value);
    if (v === undefined) delete (out as unknown as Obj)[key];
    else (out as unknown as Obj)[key] = v;
  }
  const services = [...out.services]; // not slice(): slow on a frozen list (config/delta.ts replacedInPlace)
  for (const svc of file.config.services) {
    const at = services.findIndex((s) => s.name === svc.name);
    if (at >= 0) services[at] = clone(svc);
    else services.push(clone(svc));
  }
  out.services = services;
  return out;
}

/** `load merge` from a LoadResult (null when the file had errors: report them instead). */
export function loadMergeResult(candidate: Config, load: LoadResult): Config | null {
  return load.config ? loadMerge(candidate, { config: load.config, written: writtenOf(load) }) : null;
}

/** `load override`: the file's configuration replaces the candidate entirely. */
export function loadOverride(_candidate: Config, fileConfig: Config): Config {
  return clone(fileConfig);
}
