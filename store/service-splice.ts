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

/** The items of the top-level `services:` block sequence with their names; null when not laid out plainly. */
function itemsOf(lines: string[]): { items: Item[]; indent: number; endedAt: number } | null {
  const heads = lines.flatMap((l, i) => (HEAD.test(l) ? [i] : []));
  if (heads.length !== 1) return null;
  const isQuiet = (l: string) => l.trim() === '' || l.trimStart().startsWith('#');
  let i = heads[0] + 1;
  while (i < lines.length && isQuiet(lines[i])) i++;
  const first = /^( *)- /.exec(lines[i] ?? '');
  if (!first) return null;
  const indent = first[1].length;
  const itemStart = new RegExp(`^ {${indent}}- `);
  const items: Item[] = [];
  let endedAt = lines.length;
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (isQuiet(l)) continue;
    const depth = l.length - l.trimStart().length;
    if (itemStart.test(l)) items.push({ name: '', start: i, end: i + 1 });
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
      const m = nameLine.exec(lines[k]);
      if (m) names.push(m[1]);
      // An anchor, alias or tag could tie this item to text outside it: not spliced.
      if (/(^|[\s[{,])[&*!]/.test(lines[k].replace(/#.*$/, ''))) return null;
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

export function spliceServicesChecked(text: string, rel: string, services: Service[], sections: Config): { text: string; check: SpliceCheck } | null {
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
    const mini = `services:\n${lines.slice(item.start, end).join('\n')}\n`;
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
      const trailing = lines.slice(r.item.end);
      const next = trailing.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
      const quiet = next < 0 ? trailing : trailing.slice(0, next);
      return { service: services[k], alone: deeper ? `services:\n${[...r.lines, ...quiet].join('\n')}\n` : null };
    }),
  };
  replacements.sort((a, b) => b.item.start - a.item.start);
  for (const r of replacements) lines.splice(r.item.start, r.item.end - r.item.start, ...r.lines);
  return { text: lines.join('\n'), check };
}
