// Who changed what in the shared candidate. Every shared session edits one candidate (shared-candidate.ts); to
// leave, discard or commit without losing or smuggling another session's work, the file keeps, per top-level
// item (`service NAME`, or a section such as `vip`, `system`), the stack of sessions that changed it, each with
// the value the item had just before its change. Undoing one session pops its own trailing changes and puts back
// the value it found; a change made on top of another session's stays (it cannot be separated), still listed.
// Pure functions on plain data: the file, the lock and the session are the caller's.
import type { Config, Service } from '../../config/model.js';
import { sameData } from '../../config/same-data.js';

/** The session that made a change: enough to name it and to tell whether it still runs. */
export interface Editor {
  session: string;
  user: string;
  pid?: number;
  pidStart?: number;
  host?: string;
  bootId?: string;
}

/** One change: who, and the item's value just before it (absent: the item did not exist). */
export interface Touch extends Editor {
  before?: unknown;
  absent?: true;
}

export interface ItemEdits {
  /** For a service: its position before the first change, where it goes back when restored. */
  index?: number;
  /** Oldest first; touches[0] holds the base value (what running had). */
  touches: Touch[];
}

/** Keyed by item: `service web`, `vip`, `system` … */
export type EditRecord = Record<string, ItemEdits>;

/** Changes whose author nobody recorded (a file written before the record existed). */
export const UNKNOWN_EDITOR: Editor = { session: 'unknown', user: 'unknown' };

const SERVICE = 'service ';

/** Every item of a configuration, keyed as in the record. */
function items(config: Config): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(config)) if (k !== 'services' && v !== undefined) out.set(k, v);
  for (const s of config.services ?? []) out.set(SERVICE + s.name, s);
  return out;
}

/** The item keys whose values differ between two configurations (shared objects are skipped at once). */
export function changedItems(before: Config, after: Config): string[] {
  const a = items(before);
  const b = items(after);
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x !== y && !sameData(x, y)) out.push(k);
  }
  return out;
}

function valueOf(config: Config, key: string): { value?: unknown; index?: number } {
  if (key.startsWith(SERVICE)) {
    const i = config.services.findIndex((s) => s.name === key.slice(SERVICE.length));
    return i === -1 ? {} : { value: config.services[i], index: i };
  }
  const v = (config as unknown as Record<string, unknown>)[key];
  return v === undefined ? {} : { value: v };
}

/** The configuration with one item set back to `touch`'s before-value (a service at its old position). */
function restore(config: Config, key: string, touch: Touch, index: number | undefined): Config {
  const next = { ...config, services: [...config.services] } as Config; // not slice(): slow on a frozen list
  if (key.startsWith(SERVICE)) {
    const name = key.slice(SERVICE.length);
    const i = next.services.findIndex((s) => s.name === name);
    if (touch.absent) {
      if (i !== -1) next.services.splice(i, 1);
    } else if (i !== -1) next.services[i] = structuredClone(touch.before) as Service;
    else next.services.splice(Math.min(index ?? next.services.length, next.services.length), 0, structuredClone(touch.before) as Service);
    return next;
  }
  const obj = next as unknown as Record<string, unknown>;
  if (touch.absent) delete obj[key];
  else obj[key] = structuredClone(touch.before);
  return next;
}

function touchOf(by: Editor, config: Config, key: string): Touch {
  const { value } = valueOf(config, key);
  const editor = editorOf(by);
  return value === undefined ? { ...editor, absent: true } : { ...editor, before: structuredClone(value) };
}

/** Only the editor's fields (a touch carries its before-value too). */
function editorOf(t: Editor): Editor {
  const { session, user, pid, pidStart, host, bootId } = t;
  return { session, user, ...(pid !== undefined ? { pid } : {}), ...(pidStart !== undefined ? { pidStart } : {}), ...(host ? { host } : {}), ...(bootId ? { bootId } : {}) };
}

function atBase(config: Config, key: string, entry: ItemEdits): boolean {
  const base = entry.touches[0];
  const { value } = valueOf(config, key);
  return base.absent ? value === undefined : value !== undefined && sameData(value, base.before);
}

/**
 * The record after `editor` turned `before` into `after`: each changed item gets a touch (unless the editor's is
 * already the last one); an item back at its base value leaves the record.
 */
export function recordChange(record: EditRecord, before: Config, after: Config, editor: Editor): EditRecord {
  const next: EditRecord = { ...record };
  for (const key of changedItems(before, after)) {
    const entry = next[key] ? { ...next[key], touches: next[key].touches.slice() } : { ...indexOf(before, key), touches: [] };
    if (entry.touches[entry.touches.length - 1]?.session !== editor.session) entry.touches.push(touchOf(editor, before, key));
    if (atBase(after, key, entry)) delete next[key];
    else next[key] = entry;
  }
  return next;
}

function indexOf(config: Config, key: string): { index?: number } {
  const { index } = valueOf(config, key);
  return index === undefined ? {} : { index };
}

/**
 * Makes the record account for every difference between `candidate` and `base` (the running configuration the
 * candidate is based on): an item that differs with no record is `fallback`'s (an old file: UNKNOWN_EDITOR), an
 * item back at base leaves the record. With `rebased`, the base values are re-read from `base` (`update`).
 */
export function reconcileRecord(record: EditRecord, candidate: Config, base: Config, fallback: Editor, rebased = false): EditRecord {
  const next: EditRecord = {};
  const differing = new Set(changedItems(base, candidate));
  for (const key of differing) {
    const old = record[key];
    const first = touchOf(old?.touches[0] ?? fallback, base, key);
    const entry: ItemEdits = old
      ? { ...old, touches: rebased ? [first, ...old.touches.slice(1)] : old.touches }
      : { ...indexOf(base, key), touches: [first] };
    next[key] = entry;
  }
  return next;
}

/**
 * Takes `session`'s trailing changes out: each item whose last changes are the session's goes back to the value
 * it had before them. Returns the new configuration and record, the items undone, and the items the session
 * changed that stay because another session changed them after it.
 */
export function revertSession(
  config: Config,
  record: EditRecord,
  session: string,
): { config: Config; record: EditRecord; undone: string[]; kept: string[] } {
  let out = config;
  const next: EditRecord = {};
  const undone: string[] = [];
  const kept: string[] = [];
  for (const [key, entry] of Object.entries(record)) {
    const touches = entry.touches.slice();
    let restoreTo: Touch | undefined;
    while (touches.length && touches[touches.length - 1].session === session) restoreTo = touches.pop();
    if (restoreTo) {
      out = restore(out, key, restoreTo, entry.index);
      undone.push(key);
    } else if (touches.some((t) => t.session === session)) kept.push(key);
    if (touches.length) next[key] = { ...entry, touches };
  }
  return { config: out, record: next, undone, kept };
}

/** The distinct editors of one item, oldest first. */
export function editorsOf(entry: ItemEdits): Editor[] {
  const seen = new Map<string, Editor>();
  for (const t of entry.touches) if (!seen.has(t.session)) seen.set(t.session, editorOf(t));
  return [...seen.values()];
}

/** Items someone other than `session` changed (those a commit by `session` would carry for others). */
export function othersItems(record: EditRecord, session: string): [string, ItemEdits][] {
  return Object.entries(record).filter(([, e]) => e.touches.some((t) => t.session !== session));
}

/** Items `session` changed. */
export function ownItems(record: EditRecord, session: string): string[] {
  return Object.entries(record)
    .filter(([, e]) => e.touches.some((t) => t.session === session))
    .map(([k]) => k);
}

/** The record key of a model path's top-level item (`services[6].ports` of config → `service test1`). */
export function itemOfPath(config: Config, path: string): string | undefined {
  const m = /^services\[(\d+)\]/.exec(path);
  if (m) {
    const s = config.services[Number(m[1])];
    return s && typeof s.name === 'string' ? SERVICE + s.name : undefined;
  }
  const top = /^[A-Za-z_]+/.exec(path)?.[0];
  return top && top !== 'services' ? top : undefined;
}
