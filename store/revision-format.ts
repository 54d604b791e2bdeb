// The bytes of one revision file (`STATE/revisions/NNNNNNNNNN.json`, docs/store.md "On-disk layout") and back.
// Pure: no disk, no clock.
//
// A revision file is either whole (format 1, the only kind older lbctl wrote: the revision with its configuration)
// or a difference (format 2) from a whole one, its *checkpoint*: `{"format":2,"base":C, …the revision without
// its configuration and layout…, "layoutDelta", "delta"}`, the configuration as config/delta.ts describes it (the
// services added or changed since C, the names removed, the changed sections). Every difference is taken from the
// checkpoint itself, never from another difference, so reading any revision reads at most two files, and a
// damaged difference spoils only itself. A revision is written whole every SNAPSHOT_EVERY revisions, and whenever
// the difference would carry more than half of the services (it is then not much smaller than the whole).
import type { Config } from '../config/model.js';
import { applyConfigDelta, exactConfigDelta, type ConfigDelta } from '../config/delta.js';
import { configJson } from '../config/equal.js';
import { sameData } from '../config/same-data.js';
import type { FileLayout } from './file-layout.js';
import type { Revision } from './store-types.js';

/**
 * A whole revision at least every this many revisions: a difference grows with every commit since its
 * checkpoint (it holds each service changed since), so this bounds it (16 one-weight commits: a few kilobytes)
 * and bounds what a pruned checkpoint keeps on disk. Reading costs the same for any value (two files).
 */
export const SNAPSHOT_EVERY = 16;

/** A revision's entries of a string-keyed record that differ from its checkpoint's (the layout). */
export interface RecordDelta<T> {
  set: Record<string, T>;
  unset: string[];
}

/** A format-2 record: the revision without `config` and `layout`, and what it takes to rebuild them. */
export type DeltaRecord = Omit<Revision, 'config' | 'layout'> & {
  format: 2;
  base: number;
  delta: ConfigDelta;
  /** The layout's entries that differ from the checkpoint's; `layout` instead when the checkpoint has none. */
  layoutDelta?: RecordDelta<FileLayout[string]>;
  layout?: FileLayout;
};

export type DecodedRevision = { kind: 'whole'; revision: Revision } | { kind: 'delta'; record: DeltaRecord };

/** The text of a whole revision (format 1): its configuration serialised once, by the fast path. */
export function encodeWhole(rev: Revision): string {
  const { config, ...rest } = rev;
  return `${JSON.stringify(rest).slice(0, -1)},"config":${configJson(config)}}`;
}

/**
 * How revision `rev` is written, given the whole revision its running predecessor builds on (`checkpoint`, null
 * when unknown): the difference from it, or null for a whole file.
 */
export function deltaRecordFor(rev: Revision, checkpoint: Revision | null): DeltaRecord | null {
  if (!checkpoint || rev.number <= checkpoint.number || rev.number - checkpoint.number >= SNAPSHOT_EVERY) return null;
  const delta = exactConfigDelta(checkpoint.config, rev.config);
  if (!delta || delta.services.length * 2 > rev.config.services.length) return null;
  const { config: _config, layout, ...rest } = rev;
  const record: DeltaRecord = { format: 2, base: checkpoint.number, ...rest, delta };
  if (layout) {
    const layoutDelta = checkpoint.layout ? recordDelta(checkpoint.layout, layout) : null;
    if (layoutDelta) record.layoutDelta = layoutDelta;
    else record.layout = layout;
  }
  return record;
}

/** The text of revision `rev`: a difference from `checkpoint` when one is small enough, else whole. */
export function encodeRevision(rev: Revision, checkpoint: Revision | null): { text: string; base: number | null } {
  const record = deltaRecordFor(rev, checkpoint);
  return record ? { text: JSON.stringify(record), base: record.base } : { text: encodeWhole(rev), base: null };
}

/** A revision file's text, parsed. Throws on JSON that does not parse or a format this version does not know. */
export function decodeRevision(text: string): DecodedRevision {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (parsed.format === undefined) return { kind: 'whole', revision: parsed as unknown as Revision };
  if (parsed.format !== 2) throw new Error(`unknown revision format ${String(parsed.format)}`);
  const record = parsed as unknown as DeltaRecord;
  if (!Number.isInteger(record.base) || record.base >= record.number) throw new Error(`bad checkpoint ${String(record.base)}`);
  return { kind: 'delta', record };
}

/** The revision a format-2 record describes, rebuilt on its checkpoint (unchanged services are the checkpoint's). */
export function resolveDelta(record: DeltaRecord, checkpoint: Revision): Revision {
  if (checkpoint.number !== record.base) throw new Error(`revision ${record.number} is stored against ${record.base}, not ${checkpoint.number}`);
  const { format: _f, base: _b, delta, layoutDelta, layout, ...rest } = record;
  const config: Config = applyConfigDelta(checkpoint.config, delta);
  const rebuiltLayout = layoutDelta && checkpoint.layout ? applyRecordDelta(checkpoint.layout, layoutDelta) : layout;
  return { ...rest, config, ...(rebuiltLayout ? { layout: rebuiltLayout } : {}) };
}

/** Revision summary fields of a record, without rebuilding anything (listing the revisions). */
export function summaryOfRecord(record: DeltaRecord): Omit<Revision, 'config' | 'layout'> {
  const { format: _f, base: _b, delta: _d, layoutDelta: _l, layout: _w, ...rest } = record;
  return rest;
}

/**
 * The checkpoint a revision file names, from its first bytes (a format-2 record begins `{"format":2,"base":C,`;
 * any other file is whole): pruning learns which whole files later revisions need without parsing 10 MB.
 */
export function checkpointInPrefix(prefix: string): number | null {
  const m = /^\{"format":2,"base":(\d+),/.exec(prefix);
  return m ? Number(m[1]) : null;
}

/** The entries of `next` that differ from `base`'s, or null when applying them would not keep `next`'s key order. */
export function recordDelta<T>(base: Record<string, T>, next: Record<string, T>): RecordDelta<T> | null {
  const out: RecordDelta<T> = { set: {}, unset: [] };
  for (const k of Object.keys(base)) if (!(k in next)) out.unset.push(k);
  for (const [k, v] of Object.entries(next)) if (!(k in base) || !sameData(base[k], v)) out.set[k] = v;
  const order = Object.keys(applyRecordDelta(base, out));
  const want = Object.keys(next);
  return order.length === want.length && order.every((k, i) => k === want[i]) ? out : null;
}

/** `base` with the delta's entries: kept keys keep their place, new ones follow in the delta's order. */
export function applyRecordDelta<T>(base: Record<string, T>, delta: RecordDelta<T>): Record<string, T> {
  const gone = new Set(delta.unset);
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(base)) if (!gone.has(k)) out[k] = k in delta.set ? delta.set[k] : v;
  for (const [k, v] of Object.entries(delta.set)) if (!(k in out)) out[k] = v;
  return out;
}

/** What pruning does to the revision files: listed ones hidden (kept as a checkpoint) or removed, hidden ones removed. */
export interface PrunePlan {
  /** Pruned from the list, but a kept revision is a difference from it: renamed to NNNNNNNNNN.base.json. */
  hide: number[];
  /** Pruned, and nothing needs it. */
  remove: number[];
  /** Hidden checkpoints no kept revision needs any more. */
  removeHidden: number[];
}

/**
 * The pruning of `listed` revision files down to `kept`, given each kept revision's checkpoint (`checkpointOf`:
 * null for a whole one) and the `hidden` checkpoints already set aside. A file a kept revision needs is never
 * removed, so whatever subset of the plan a crash leaves done, every kept revision still reads. Newest first.
 */
export function planPrune(listed: number[], kept: Set<number>, hidden: number[], checkpointOf: (n: number) => number | null): PrunePlan {
  const needed = new Set<number>();
  for (const n of kept) {
    const c = checkpointOf(n);
    if (c !== null && !kept.has(c)) needed.add(c);
  }
  const desc = (a: number, b: number) => b - a;
  const pruned = listed.filter((n) => !kept.has(n)).sort(desc);
  return {
    hide: pruned.filter((n) => needed.has(n)),
    remove: pruned.filter((n) => !needed.has(n)),
    removeHidden: hidden.filter((n) => !needed.has(n)).sort(desc),
  };
}
