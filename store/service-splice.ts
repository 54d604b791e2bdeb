// A changed service rewritten inside its file's text without parsing the whole file: the service's item of the
// top-level `services:` block sequence is cut out, rendered alone by the comment-keeping renderer (as if it were
// the only service of the file), and put back. Every other byte of the file stays as it was.
//
// Why: the comment-keeping YAML parser costs about 2 ms per service of a file (60 ms for a 100-service file
// warm, a second cold), and a one-weight commit paid it for the whole touched file. The item is found by its
// lines, so only a file laid out the usual way qualifies: `services:` at column 0 followed by a block sequence
// whose items say `name:` on a line of their own mapping. Anything else (a flow sequence, a name that is not
// plain, the same name twice, an anchor or a tag near the item) answers null and the caller renders the whole
// file. The caller also loads the result back and compares it with what was asked (store/changed-files.ts), so a
// splice that went wrong can only fall back, never be written.
//
// A change of a few scalar values (a weight, a scheduler) does not even need the renderer: given the service as it
// was and a loader that says whether a text loads to a service, the new value is put in the place of the old one
// in the item's own text (`weight: 5` → `weight: 9`) and the result loaded; only when no such place loads to the
// changed service is the item rendered. The comment-keeping YAML library costs ~4 ms per commit on the host
// (~130 ms under emulation), nearly all of it JIT-cold parsing and rendering of one item; the substitution and
// js-yaml's load of ten lines cost a few hundredths of that.
import type { Config, Service } from '../config/model.js';
import type { LoadedFile } from '../config/load.js';
import { parseConfigDocument } from '../config/load.js';
import { renderConfigFiles } from '../config/render.js';

const HEAD = /^services:[ \t]*(#.*)?$/;
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;

interface Item {
  name: string;
  /** Lines [start, end) of the file. */
  start: number;
  end: number;
}

/**
 * The items of the top-level `services:` block sequence with their names; null when not laid out plainly. Runs
 * at every commit over the whole touched file (~1,200 lines at 100 services a file): each line is looked at with
 * string tests first, and a regular expression runs only on a line that could match it.
 */
function itemsOf(lines: string[]): { items: Item[]; indent: number; endedAt: number } | null {
  let head = -1;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('services:') || !HEAD.test(lines[i])) continue;
    if (head !== -1) return null;
    head = i;
  }
  if (head === -1) return null;
  const isQuiet = (l: string) => {
    const t = l.trimStart();
    return t === '' || t[0] === '#';
  };
  let i = head + 1;
  while (i < lines.length && isQuiet(lines[i])) i++;
  const first = /^( *)- /.exec(lines[i] ?? '');
  if (!first) return null;
  const indent = first[1].length;
  const itemStart = `${' '.repeat(indent)}- `;
  const items: Item[] = [];
  let endedAt = lines.length;
  for (; i < lines.length; i++) {
    const l = lines[i];
    const t = l.trimStart();
    if (t === '' || t[0] === '#') continue;
    const depth = l.length - t.length;
    if (l.startsWith(itemStart)) items.push({ name: '', start: i, end: i + 1 });
    else if (depth <= indent) {
      endedAt = i; // the sequence ended: another top-level key
      break;
    }
    items[items.length - 1].end = i + 1;
  }
  const nameLine = new RegExp(`^(?: {${indent}}- | {${indent + 2}})name:[ \\t]*(\\S+?)[ \\t]*(#.*)?$`);
  for (const item of items) {
    const names: string[] = [];
    for (let k = item.start; k < item.end; k++) {
      const l = lines[k];
      const m = l.includes('name:') ? nameLine.exec(l) : null;
      if (m) names.push(m[1]);
      // An anchor, alias or tag could tie this item to text outside it: not spliced.
      if (/[&*!]/.test(l) && /(^|[\s[{,])[&*!]/.test(l.replace(/#.*$/, ''))) return null;
    }
    if (names.length !== 1 || !PLAIN_NAME.test(names[0])) return null;
    item.name = names[0];
  }
  return { items, indent, endedAt };
}

/**
 * `text` with each of `services` (which must already be in this file, by name) rendered into its own item, or
 * null when the file is not laid out so that the items can be told with certainty. `rel`: the file's path in the
 * configuration directory; `sections`: the configuration whose other sections are at their defaults (so that the
 * renderer writes none of them).
 */
export function spliceServices(text: string, rel: string, services: Service[], sections: Config): string | null {
  return spliceServicesChecked(text, rel, services, sections)?.text ?? null;
}

/**
 * What a splice's result can be checked by, item by item, instead of loading the whole file back: the names of
 * the file's items as its lines show them (in order), whether the sequence provably ends where those lines say
 * (at the end of the file or at a top-level key), and for each rewritten item a YAML text that says the same as
 * the item says inside the file (`services:`, the item's lines, the blank and comment lines after it), or null
 * when the item's lines alone cannot show that (a line of it not indented past the item's dash).
 */
export interface SpliceCheck {
  names: string[];
  endsPlainly: boolean;
  items: Array<{ service: Service; alone: string | null }>;
}

/** What lets a splice put changed scalar values in place instead of rendering the item (see the top of this file). */
export interface SpliceSubstitution {
  /** The services as the file says them now, by name. */
  before: ReadonlyMap<string, Service>;
  /** Whether `alone` (`services:` and one item's lines, as SpliceCheck's `alone`) loads to exactly `service`. */
  loadsAs: (alone: string, service: Service) => boolean;
}

export function spliceServicesChecked(
  text: string,
  rel: string,
  services: Service[],
  sections: Config,
  substitution?: SpliceSubstitution,
): { text: string; check: SpliceCheck } | null {
  const lines = text.split('\n');
  const found = itemsOf(lines);
  if (!found) return null;
  const byName = new Map<string, Item>();
  for (const item of found.items) {
    if (byName.has(item.name)) return null;
    byName.set(item.name, item);
  }
  const replacements: Array<{ item: Item; lines: string[] }> = [];
  for (const service of services) {
    const item = byName.get(service.name);
    if (!item) return null;
    // Trailing blank and comment lines stay where they are, outside the rendered item.
    let end = item.end;
    while (end > item.start + 1 && (lines[end - 1].trim() === '' || lines[end - 1].trimStart().startsWith('#'))) end--;
    const own = lines.slice(item.start, end);
    const old = substitution?.before.get(service.name);
    if (old && substitution) {
      const alone = (body: string[]) => aloneText(body, lines.slice(end));
      const substituted = substitutedItem(own, old, service, (body) => substitution.loadsAs(alone(body), service));
      if (substituted) {
        replacements.push({ item: { ...item, end }, lines: substituted });
        continue;
      }
    }
    const mini = `services:\n${own.join('\n')}\n`;
    const doc = parseConfigDocument(mini);
    if (doc.errors.length > 0) return null;
    const previous: LoadedFile[] = [{ path: rel, text: mini, doc }];
    const out = renderConfigFiles({ ...sections, services: [service] }, previous, { layout: 'directory' }).get(rel);
    if (out === undefined || !out.startsWith('services:\n')) return null;
    const body = out.slice('services:\n'.length).replace(/\n$/, '').split('\n');
    if (!new RegExp(`^ {${found.indent}}- `).test(body[0] ?? '')) return null;
    replacements.push({ item: { ...item, end }, lines: body });
  }
  const check: SpliceCheck = {
    names: found.items.map((item) => item.name),
    endsPlainly: found.endedAt === lines.length || /^[A-Za-z_"'][^:]*:/.test(lines[found.endedAt]),
    items: replacements.map((r, k) => {
      // Inside the file, the item runs from its dash to the next line indented no deeper than the dash; alone
      // after `services:` it runs the same way when every line of it is indented deeper (or blank).
      const deeper = r.lines.slice(1).every((l) => l.trim() === '' || (/^ +/.exec(l)?.[0].length ?? 0) > found.indent);
      return { service: services[k], alone: deeper ? aloneText(r.lines, lines.slice(r.item.end)) : null };
    }),
  };
  replacements.sort((a, b) => b.item.start - a.item.start);
  for (const r of replacements) lines.splice(r.item.start, r.item.end - r.item.start, ...r.lines);
  return { text: lines.join('\n'), check };
}

/** `services:`, an item's lines and the blank and comment lines after it (`trailing`: the file's lines after the item). */
function aloneText(body: string[], trailing: string[]): string {
  const next = trailing.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const quiet = next < 0 ? trailing : trailing.slice(0, next);
  return `services:\n${[...body, ...quiet].join('\n')}\n`;
}

/** One scalar that differs between the old and the new service, under a named key: its plain spellings and values. */
export interface ScalarChange {
  key: string;
  from: string;
  to: string;
  was: unknown;
  now: unknown;
}

/** At most this many changed values, and this many places tried in all: beyond, the renderer is cheaper and surer. */
export const MOST_CHANGES = 2;
export const MOST_TRIES = 16;

/**
 * The item's lines with each changed scalar value written in the place of the old one, checked by `fits`; null
 * when the two services differ in anything but a few scalar values under named keys, when a value has no plain
 * spelling, or when no place of the old spellings gives a text that `fits`. Places are `key: old` in a block or
 * flow mapping; every combination is tried (the first that fits is right by definition: it loads to the service).
 */
function substitutedItem(own: string[], old: Service, service: Service, fits: (body: string[]) => boolean): string[] | null {
  const changes: ScalarChange[] = [];
  if (!scalarChanges(old, service, null, changes) || changes.length === 0 || changes.length > MOST_CHANGES) return null;
  const places = changes.map((c) => placesOf(own, c));
  if (places.some((p) => p.length === 0) || places.reduce((n, p) => n * p.length, 1) > MOST_TRIES) return null;
  // Lines already changed are not changed again (their offsets moved): such a combination is not tried.
  const choose = (k: number, body: string[], changed: number[]): string[] | null => {
    if (k === changes.length) return fits(body) ? body : null;
    for (const { line, at } of places[k]) {
      if (changed.includes(line)) continue;
      const next = body.slice();
      next[line] = body[line].slice(0, at) + changes[k].to + body[line].slice(at + changes[k].from.length);
      const found = choose(k + 1, next, [...changed, line]);
      if (found) return found;
    }
    return null;
  };
  return choose(0, own, []);
}

/**
 * Collects the scalar values that differ between `a` and `b` (under `key`, the nearest named key above them);
 * false when they differ in shape (a key or an item added or removed, a value of another type) or a changed value
 * has no plain spelling.
 */
export function scalarChanges(a: unknown, b: unknown, key: string | null, out: ScalarChange[]): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => scalarChanges(x, b[i], key, out));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== undefined || b[k] !== undefined));
    for (const k of keys) if (!scalarChanges(a[k], b[k], k, out)) return false;
    return true;
  }
  const from = plainSpelling(a);
  const to = plainSpelling(b);
  if (key === null || from === null || to === null || typeof a !== typeof b) return false;
  out.push({ key, from, to, was: a, now: b });
  return true;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How a scalar is written plain, when it can be without doubt: integers, true/false, and words of letters, digits
 * and `_ . / -` that start with a letter (the loader's check catches anything it would read otherwise).
 */
function plainSpelling(v: unknown): string | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : null;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_./-]*$/.test(v) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(v)) return v;
  return null;
}

/** Where `key: from` is written in the item's lines: the line and the offset of `from`. */
function placesOf(own: string[], change: ScalarChange): Array<{ line: number; at: number }> {
  const places: Array<{ line: number; at: number }> = [];
  const escaped = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`(^|[\\s{,])${escaped(change.key)}:[ \\t]+(${escaped(change.from)})(?=[ \\t]*(?:[,}]|#|$))`, 'g');
  own.forEach((text, line) => {
    for (const m of text.matchAll(pattern)) places.push({ line, at: m.index + m[0].length - change.from.length });
  });
  return places;
}
