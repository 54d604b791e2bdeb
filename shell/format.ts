// Plain-text rendering of tables, aligned to the terminal width: columns as wide as their widest cell; when
// the table is wider than the terminal, the columns marked `shrink` are cut (with …) until it fits. A column
// that holds an IP address is never cut, whatever its mark: an operator copies addresses, so a table with one
// overflows the width rather than show `10.0.0…`.
import { isIP } from 'node:net';
import type { Table } from '../present/table.js';

const GAP = 2;

/** `10.0.0.1`, `10.0.0.1:80`, `10.0.0.1:7543-7814`, `2001:db8::1`, `[2001:db8::1]:80`, `2001:db8::/32`. */
function isAddressToken(token: string): boolean {
  const t = token.replace(/[,;]$/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+(?:-\d+)?)?$/.exec(t);
  if (bracketed) return isIP(bracketed[1]) !== 0;
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d+(?:-\d+)?$/.exec(t);
  if (v4port) return isIP(v4port[1]) === 4;
  return isIP(t.replace(/\/\d+$/, '')) !== 0;
}

/** True when some word of the text is an IP address, with or without a port. */
export function holdsAddress(text: string): boolean {
  return text.split(/\s+/).some((w) => w !== '' && isAddressToken(w));
}

/**
 * `width` 0 means no limit: output that is not a terminal (line mode, `-c`, a pipe) keeps every value whole, for
 * the scripts and the eyes that read it.
 */
export function renderTable(table: Table, width: number): string {
  const limit = width > 0 ? width : Infinity;
  const cols = table.columns;
  // A spilling cell (see Column.spill) does not widen its column.
  const spills = (r: string[], i: number) => Boolean(cols[i].spill) && r.slice(i + 1).every((c) => !c);
  const widths = cols.map((c, i) => Math.max(c.title.length, ...table.rows.filter((r) => !spills(r, i)).map((r) => (r[i] ?? '').length)));
  // Trailing empty cells do not need their column's width on every line.
  let total = widths.reduce((a, b) => a + b, 0) + GAP * (cols.length - 1);
  const shrinkable = cols
    .map((c, i) => (c.shrink && !table.rows.some((r) => holdsAddress(r[i] ?? '')) ? i : -1))
    .filter((i) => i >= 0);
  while (total > limit && shrinkable.length) {
    // Take from the widest shrinkable column, never below its title or 6 characters.
    const i = shrinkable.reduce((a, b) => (widths[b] > widths[a] ? b : a));
    const floor = Math.max(6, Math.min(cols[i].title.length, 12));
    if (widths[i] <= floor) {
      shrinkable.splice(shrinkable.indexOf(i), 1);
      continue;
    }
    const cut = Math.min(widths[i] - floor, total - limit);
    widths[i] -= cut;
    total -= cut;
  }
  const cell = (text: string, i: number) => {
    const w = widths[i];
    const t = text.length > w ? text.slice(0, Math.max(0, w - 1)) + '…' : text;
    return cols[i].align === 'right' ? t.padStart(w) : t.padEnd(w);
  };
  const line = (cells: string[]) => cells.map((c, i) => cell(c, i)).join(' '.repeat(GAP)).trimEnd();
  const row = (r: string[]): string[] => {
    const cells = cols.map((_, i) => r[i] ?? '');
    const at = cells.findIndex((_, i) => spills(cells, i) && cells[i].length > widths[i]);
    if (at < 0) return [line(cells)];
    const indent = widths.slice(0, at).reduce((a, b) => a + b + GAP, 0);
    // Past the table's own width only: a table that overflows the terminal (a long IPv6 address) already wraps.
    return wrapAt(line(cells.slice(0, at)).padEnd(indent) + cells[at], indent, Math.max(limit, total));
  };
  const out: string[] = [];
  if (table.title) out.push(table.title);
  out.push(line(cols.map((c) => c.title)));
  out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of table.rows) out.push(...row(r));
  return out.join('\n');
}

/** A line longer than `limit` broken at spaces after column `indent`, the rest indented to it; a word is never cut. */
function wrapAt(text: string, indent: number, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf(' ', limit);
    if (cut <= indent) break;
    out.push(rest.slice(0, cut).trimEnd());
    rest = ' '.repeat(indent) + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out;
}

/** JSON for `| json`: bigints (kernel counters) as decimal strings, two-space indent. */
export function toJson(data: unknown): string {
  return JSON.stringify(data ?? null, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
