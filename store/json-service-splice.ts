// A changed service rewritten inside a file written as JSON, without parsing or rendering the whole file: the
// JSON counterpart of store/service-splice.ts (which needs a block sequence under `services:`).
//
// Why: JSON is YAML, so an operator may generate `config.d/all.yaml` as JSON (one file of 10,000 services from an
// inventory, say). Such a file is one flow collection, which the block splice cannot cut into items, and a
// one-weight commit then parsed and rendered the whole file with the comment-keeping YAML library: 9 s and 746 MB
// at 10,000 services on the host, and the rendered file was no longer the operator's JSON (6.3 MB of indented JSON
// became 3.5 MB on one line). Here the file's text is scanned once for the items of its top-level "services" array
// (strings skipped whole, brackets counted) and only the changed item's text is replaced: a changed scalar in
// place (`"weight": 4` → `"weight": 9`), anything else the service's written form as JSON, indented as the item
// was. Every other byte stays.
//
// Only a text that is lexically JSON qualifies: outside strings nothing but brackets, commas, colons, white space
// and the characters of numbers, true, false and null; keys quoted; one top-level object and nothing after it. A
// YAML comment, a single-quoted or plain key, an anchor or a tag answers null and the caller renders the file as
// before. Within such a text, an item's bytes are the same node alone as inside the file, so the caller's item
// check (store/changed-files.ts splicedItemsLoadBack: the names in order, each rewritten item loaded alone as a
// restart loads it) says what loading the whole file would.
import type { Config, Service } from '../config/model.js';
import { toWritten } from '../config/render.js';
import { sameData } from '../config/same-data.js';
import { MOST_CHANGES, MOST_TRIES, scalarChanges, type ScalarChange, type SpliceCheck, type SpliceSubstitution } from './service-splice.js';

interface JsonItem {
  name: string;
  /** Offsets [start, end) of the item's `{ … }` in the text. */
  start: number;
  end: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Characters of a number, true, false or null: the only other things JSON has outside strings. */
const LITERAL = new Uint8Array(128);
for (const c of '0123456789+-.eEtruefalsn') LITERAL[c.charCodeAt(0)] = 1;

/** Whether the text could be a JSON document: its first character that is not white space opens an object. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === LF || c === CR) continue;
    return c === OPEN_OBJECT;
  }
  return false;
}

/** The offset of the quote that closes the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  let j = open;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return -1;
    let slashes = 0;
    while (text.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j;
  }
}

function decodeString(token: string): string | null {
  try {
    const v: unknown = JSON.parse(token);
    return typeof v === 'string' ? v : null;
  } catch {
    return null; // a YAML-only escape or a raw line break: not JSON
  }
}

/**
 * The items of the top-level object's "services" array, each with its "name", or null when the text is not
 * lexically JSON, has no such array, or an item is not an object with exactly one string "name".
 */
function jsonItemsOf(text: string): JsonItem[] | null {
  /** One entry per open container: true for an object. */
  const objects: boolean[] = [];
  /** In an object: whether the next token is a key. */
  let wantKey = false;
  let topKey: string | null = null;
  let itemKey: string | null = null;
  let servicesSeen = false;
  /** The depth of the services array while inside it, else -1. */
  let servicesDepth = -1;
  const items: JsonItem[] = [];
  let names = 0;
  let closed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === LF || c === CR) continue;
    if (closed) return null; // anything after the top-level object
    const depth = objects.length;
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      if (depth === 0) return null;
      const inItem = servicesDepth !== -1 && depth === servicesDepth + 1;
      if (wantKey) {
        // A key of the top-level object or of an item: its name matters. Other keys are only skipped.
        if (depth === 1 || inItem) {
          const key = decodeString(text.slice(i, end + 1));
          if (key === null) return null;
          if (depth === 1) topKey = key;
          else itemKey = key;
        }
        wantKey = false;
      } else if (inItem && itemKey === 'name') {
        const name = decodeString(text.slice(i, end + 1));
        if (name === null || ++names > items.length) return null; // a second name in one item
        items[items.length - 1].name = name;
        itemKey = null;
      } else if (servicesDepth !== -1 && depth === servicesDepth) {
        return null; // a string as an item of services
      }
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth > 0 && objects[depth - 1] && wantKey) return null; // a collection as a key
      if (depth === 0 && c !== OPEN_OBJECT) return null;
      if (depth === 1 && topKey === 'services') {
        if (c !== OPEN_ARRAY || servicesSeen) return null;
        servicesSeen = true;
        servicesDepth = 2;
      } else if (servicesDepth !== -1 && depth === servicesDepth) {
        if (c !== OPEN_OBJECT) return null;
        items.push({ name: '', start: i, end: -1 });
        itemKey = null;
      } else if (servicesDepth !== -1 && depth === servicesDepth + 1 && itemKey === 'name') {
        return null; // a name that is not a string
      }
      objects.push(c === OPEN_OBJECT);
      wantKey = c === OPEN_OBJECT;
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0 || objects[depth - 1] !== (c === CLOSE_OBJECT)) return null;
      objects.pop();
      if (servicesDepth !== -1 && depth === servicesDepth + 1) items[items.length - 1].end = i + 1;
      if (servicesDepth !== -1 && depth === servicesDepth) servicesDepth = -1;
      if (depth === 1) closed = true;
      wantKey = false;
      if (depth === 1) topKey = null;
      continue;
    }
    if (c === COMMA) {
      if (depth === 0) return null;
      wantKey = objects[depth - 1];
      if (depth === 1) topKey = null;
      continue;
    }
    if (c === COLON) {
      if (depth === 0 || !objects[depth - 1] || wantKey) return null;
      continue;
    }
    if (c >= 128 || LITERAL[c] !== 1) return null; // a comment, a quote of YAML's, an anchor, a tag, a plain word
    if (wantKey) return null; // a key that is not a string
    if (servicesDepth !== -1 && depth === servicesDepth) return null; // a scalar as an item of services
    if (servicesDepth !== -1 && depth === servicesDepth + 1 && itemKey === 'name') return null; // a name that is not a string
    // Skip the rest of the literal.
    while (i + 1 < text.length && text.charCodeAt(i + 1) < 128 && LITERAL[text.charCodeAt(i + 1)] === 1) i++;
  }
  if (!closed || !servicesSeen || names !== items.length) return null; // names < items: an item without one
  return items;
}

/**
 * `text` (a file written as JSON) with each of `services` (which must already be in it, by name) written into its
 * own item and the items named in `removed` taken out, or null when the file is not JSON laid out so that the
 * items can be told with certainty, or when no item would be left (the whole-file plan then deletes the file).
 * Returns the same check as the block splice, of the items left: an item's `alone` text is
 * `{"services": [<item>]}`.
 */
export function spliceJsonServicesChecked(
  text: string,
  services: Service[],
  sections: Config,
  substitution?: SpliceSubstitution,
  removed: readonly string[] = [],
): { text: string; check: SpliceCheck } | null {
  if (!looksLikeJson(text)) return null;
  const items = jsonItemsOf(text);
  if (!items) return null;
  const byName = new Map<string, number>();
  for (const [k, item] of items.entries()) {
    if (byName.has(item.name)) return null;
    byName.set(item.name, k);
  }
  /** Edits of the text, [start, end) replaced by `text`: never overlapping. */
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const gone = new Set<number>();
  for (const name of removed) {
    const k = byName.get(name);
    if (k === undefined) return null;
    gone.add(k);
  }
  let lastKept = -1;
  for (let k = items.length - 1; k >= 0 && lastKept === -1; k--) if (!gone.has(k)) lastKept = k;
  if (lastKept === -1) return null;
  // An item taken out goes with the separator after it (up to the next item); the ones after the last item kept
  // go together with the separator before them (from the end of the last item kept).
  for (const k of gone) if (k < lastKept) edits.push({ start: items[k].start, end: items[k + 1].start, text: '' });
  if (lastKept < items.length - 1) edits.push({ start: items[lastKept].end, end: items[items.length - 1].end, text: '' });
  const replaced: Array<{ service: Service; text: string }> = [];
  for (const service of services) {
    const k = byName.get(service.name);
    if (k === undefined || gone.has(k)) return null;
    const item = items[k];
    const own = text.slice(item.start, item.end);
    const old = substitution?.before.get(service.name);
    const substituted = old && substitution ? substitutedJson(own, old, service, (body) => substitution.loadsAs(aloneJson(body), service)) : null;
    const written = substituted ?? renderedJson(own, service, sections, lineIndentAt(text, item.start));
    edits.push({ start: item.start, end: item.end, text: written });
    replaced.push({ service, text: written });
  }
  const check: SpliceCheck = {
    names: items.filter((_, k) => !gone.has(k)).map((item) => item.name),
    endsPlainly: true, // the scan saw the whole text: one object and nothing after it
    items: replaced.map((r) => ({ service: r.service, alone: aloneJson(r.text) })),
  };
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, check };
}

/** An item's text as a document of its own that says the same as the item inside the file. */
function aloneJson(item: string): string {
  return `{"services": [${item}]}\n`;
}

/** The white space that begins the line holding `offset`, when only white space stands before it there. */
function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : (/^[ \t]*/.exec(before)?.[0] ?? '');
}

/** The item with each changed scalar written in the place of the old one (`"key": old`), checked by `fits`. */
function substitutedJson(own: string, old: Service, service: Service, fits: (body: string) => boolean): string | null {
  const changes: ScalarChange[] = [];
  if (!scalarChanges(old, service, null, changes) || changes.length === 0 || changes.length > MOST_CHANGES) return null;
  const places = changes.map((c) => jsonPlacesOf(own, c));
  if (places.some((p) => p.length === 0) || places.reduce((n, p) => n * p.length, 1) > MOST_TRIES) return null;
  const choose = (k: number, chosen: Array<{ at: number; length: number; to: string }>): string | null => {
    if (k === changes.length) {
      let body = own;
      for (const p of [...chosen].sort((a, b) => b.at - a.at)) body = body.slice(0, p.at) + p.to + body.slice(p.at + p.length);
      return fits(body) ? body : null;
    }
    for (const place of places[k]) {
      if (chosen.some((p) => p.at === place.at)) continue;
      const found = choose(k + 1, [...chosen, place]);
      if (found) return found;
    }
    return null;
  };
  return choose(0, []);
}

/** Where `"key": <old value as JSON>` is written in the item: the offset and length of the value, and its new text. */
function jsonPlacesOf(own: string, change: ScalarChange): Array<{ at: number; length: number; to: string }> {
  const from = JSON.stringify(change.was);
  const to = JSON.stringify(change.now);
  const escaped = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`${escaped(JSON.stringify(change.key))}\\s*:\\s*(${escaped(from)})(?=\\s*[,}\\]])`, 'g');
  const places: Array<{ at: number; length: number; to: string }> = [];
  for (const m of own.matchAll(pattern)) places.push({ at: m.index + m[0].length - from.length, length: from.length, to });
  return places;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The service's written form (defaults nobody wrote left out, as the files are rendered) as JSON in the item's
 * style: its keys in the order the old item had them, a default the old item wrote kept while it still holds,
 * indented as the old item was, or on one line when it was.
 */
function renderedJson(own: string, service: Service, sections: Config, lineIndent: string): string {
  const written = (toWritten({ ...sections, services: [service] }, { omitInnerDefaults: true }).services as unknown[])[0];
  let oldData: unknown = null;
  try {
    oldData = JSON.parse(own);
  } catch {
    /* keys in schema order then */
  }
  const value = asWrittenBefore(written, oldData, service);
  const lines = own.split('\n');
  if (lines.length === 1) return flowJson(value, /[:,] /.test(own));
  const unit = (/^[ \t]*/.exec(lines[1])?.[0] ?? '').slice(lineIndent.length) || '  ';
  const eol = own.includes('\r\n') ? '\r\n' : '\n'; // a file written on Windows keeps its line ends
  return JSON.stringify(value, null, unit).split('\n').join(`${eol}${lineIndent}`);
}

/**
 * `written` (the new written form) shaped like `before` (the item as it was written): each object's keys in the
 * order `before` has them, new keys after, and a key `before` wrote that the written form leaves out (a default
 * spelled out) kept when its value is still the model's (`model`: the service itself, at the same place). The
 * loader's check afterwards vouches for the result.
 */
function asWrittenBefore(written: unknown, before: unknown, model: unknown): unknown {
  if (Array.isArray(written)) return written.map((v, i) => asWrittenBefore(v, Array.isArray(before) ? before[i] : undefined, Array.isArray(model) ? model[i] : undefined));
  if (!isObj(written)) return written;
  const out: Obj = {};
  const old = isObj(before) ? before : {};
  const now = isObj(model) ? model : {};
  for (const k of Object.keys(old)) {
    if (k in written) out[k] = asWrittenBefore(written[k], old[k], now[k]);
    else if (now[k] !== undefined && sameData(old[k], now[k])) out[k] = old[k];
  }
  for (const k of Object.keys(written)) if (!(k in out)) out[k] = asWrittenBefore(written[k], old[k], now[k]);
  return out;
}

/** JSON on one line, spaced as `{"a": 1, "b": [1, 2]}` when `spaced` (as Python's json.dumps writes it). */
function flowJson(v: unknown, spaced: boolean): string {
  const comma = spaced ? ', ' : ',';
  if (Array.isArray(v)) return `[${v.map((x) => flowJson(x, spaced)).join(comma)}]`;
  if (isObj(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${spaced ? ': ' : ':'}${flowJson(x, spaced)}`).join(comma)}}`;
  return JSON.stringify(v);
}
