// Plain-text rendering of tables, aligned to the terminal width: columns as wide as their widest cell; when
// the table is wider than the terminal, the columns marked `shrink` are cut (with …) until it fits. A column
// that holds an IP address is never cut, whatever its mark: an operator copies addresses, so a table with one
// overflows the width rather than show `10.0.0…`.
import { TableMeasure, type Table } from '../present/table.js';

export { holdsAddress } from '../present/table.js';

/**
 * `width` 0 means no limit: output that is not a terminal (line mode, `-c`, a pipe) keeps every value whole, for
 * the scripts and the eyes that read it. The layout is present/table.ts's (TableMeasure), which `show ipvs`
 * and `status` also use in two passes over rows they do not hold.
 */
export function renderTable(table: Table, width: number): string {
  const measure = new TableMeasure(table.columns);
  for (const r of table.rows) measure.add(r);
  const layout = measure.layout(width, table.title);
  const out = layout.head();
  for (const r of table.rows) for (const l of layout.row(r)) out.push(l);
  return out.join('\n');
}

/** JSON for `| json`: bigints (kernel counters) as decimal strings, two-space indent. */
export function toJson(data: unknown): string {
  return JSON.stringify(data ?? null, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
