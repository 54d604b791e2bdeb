// The shape of a table before it meets a terminal: columns and rows of plain strings. shell/format.ts lays it
// out to a width; present/ builds tables (the IPVS listing) that the shell and the CLI print alike.
import { isIP } from 'node:net';

export interface Column {
  title: string;
  align?: 'left' | 'right';
  /** May be cut (with …) when the table is wider than the terminal. */
  shrink?: boolean;
  /**
   * A cell of this column that is the last non-empty cell of its row runs on over the empty columns to its
   * right instead of widening its column (ipvsadm's service line: the scheduler and its flags above the
   * destinations' numbers); past the terminal's width it wraps at a space, indented to its column.
   */
  spill?: boolean;
}

export interface Table {
  columns: Column[];
  rows: string[][];
  /** Lines printed above the table. */
  title?: string;
}

// ---- Layout in two passes, for tables too long to hold whole (`show ipvs` of 10,000 services) ----
//
// A table's column widths depend on every row. `TableMeasure` sees the rows once (cells are measured and
// dropped), `layout(width)` then lays out the header and each row again as it comes, so a caller can build
// the rows twice from its data and never hold them, nor the text, whole. shell/format.ts's renderTable is the
// same two passes over rows it holds: one layout, whichever way a table is printed.


export const GAP = 2;

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

/** The first pass: every row's cells measured, nothing kept but the widths and which columns hold an address. */
export class TableMeasure {
  readonly widths: number[];
  /** Per column: some cell holds an IP address (a `shrink` column that does is never cut). */
  private readonly addressed: boolean[];

  constructor(readonly columns: Column[]) {
    this.widths = columns.map((c) => c.title.length);
    this.addressed = columns.map(() => false);
  }

  add(row: string[]): void {
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) {
      const text = row[i] ?? '';
      // A spilling cell (see Column.spill) does not widen its column.
      if (text.length > this.widths[i] && !spills(cols, row, i)) this.widths[i] = text.length;
      if (cols[i].shrink && !this.addressed[i] && text !== '' && holdsAddress(text)) this.addressed[i] = true;
    }
  }

  /** The widths fitted to `width` (0: no limit), and the lines of the header and of each row. */
  layout(width: number, title?: string): TableLayout {
    return new TableLayout(this.columns, this.fit(width), width > 0 ? width : Infinity, title);
  }

  private fit(width: number): { widths: number[]; total: number } {
    const limit = width > 0 ? width : Infinity;
    const cols = this.columns;
    const widths = [...this.widths];
    let total = widths.reduce((a, b) => a + b, 0) + GAP * (cols.length - 1);
    const shrinkable = cols.map((c, i) => (c.shrink && !this.addressed[i] ? i : -1)).filter((i) => i >= 0);
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
    return { widths, total };
  }
}

/** Cell i is followed by no non-empty cell among the first n of the row. */
function lastFilled(r: string[], i: number, n: number): boolean {
  for (let j = i + 1; j < n; j++) if (r[j]) return false;
  return true;
}

/** A cell of a spilling column that is the last non-empty one of its row. */
function spills(cols: Column[], r: string[], i: number): boolean {
  if (!cols[i].spill) return false;
  for (let j = i + 1; j < r.length; j++) if (r[j]) return false;
  return true;
}

/** The second pass: the widths are known; each row becomes its line(s) as it comes. */
export class TableLayout {
  readonly widths: number[];
  private readonly total: number;

  constructor(
    private readonly cols: Column[],
    fitted: { widths: number[]; total: number },
    private readonly limit: number,
    private readonly title?: string,
  ) {
    this.widths = fitted.widths;
    this.total = fitted.total;
  }

  /** The title (when any), the column titles and the rule under them. */
  head(): string[] {
    return [...(this.title ? [this.title] : []), this.line(this.cols.map((c) => c.title)), this.line(this.widths.map((w) => '-'.repeat(w)))];
  }

  /** One row's line, or its lines when a spilling cell runs past the table's width. */
  row(r: string[]): string[] {
    // Loops rather than a copy of the row and closures: `show ipvs` lays out 50,000 rows at 10,000 services.
    const n = this.cols.length;
    let at = -1;
    for (let i = 0; i < n && at < 0; i++) if (this.cols[i].spill && (r[i] ?? '').length > this.widths[i] && lastFilled(r, i, n)) at = i;
    if (at < 0) return [this.line(r, n)];
    const indent = this.widths.slice(0, at).reduce((a, b) => a + b + GAP, 0);
    // Past the table's own width only: a table that overflows the terminal (a long IPv6 address) already wraps.
    return wrapAt(this.line(r, at).padEnd(indent) + r[at], indent, Math.max(this.limit, this.total));
  }

  /** The first `count` cells of `cells` (missing ones empty) laid out to the widths. */
  private line(cells: string[], count = cells.length): string {
    let out = '';
    for (let i = 0; i < count; i++) {
      const w = this.widths[i];
      const text = cells[i] ?? '';
      const t = text.length > w ? text.slice(0, Math.max(0, w - 1)) + '…' : text;
      out += (i > 0 ? '  ' : '') + (this.cols[i].align === 'right' ? t.padStart(w) : t.padEnd(w));
    }
    return out.trimEnd();
  }
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

/** Lines (each ended with a newline) in chunks of about `size` characters: a few dozen writes, never one string. */
export function* chunked(lines: Iterable<string>, size = 64 * 1024): Generator<string> {
  let piece: string[] = [];
  let length = 0;
  for (const l of lines) {
    piece.push(l);
    length += l.length + 1;
    if (length >= size) {
      yield piece.join('\n') + '\n';
      piece = [];
      length = 0;
    }
  }
  if (piece.length) yield piece.join('\n') + '\n';
}
