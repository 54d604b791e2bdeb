// The words of maintenance drains: what `request backend … drain|resume` prints, the State cell of a drained
// backend in `show service`, and the drain lines of `show health`. From engine/drain/drains.ts's rows.
import type { DrainResult, DrainRow } from '../engine/drain/drains.js';
import { drainRef } from '../engine/drain/decide.js';

export type { DrainResult, DrainRow } from '../engine/drain/drains.js';
export type { DrainRequest } from '../engine/drain/decide.js';

/** `198.51.100.20:80`, `[2001:db8::1]:80`, or the address alone for a port-0 backend. */
export function backendText(address: string, port: number): string {
  if (port === 0) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function connections(n: number | null): string {
  if (n === null) return 'not in IPVS';
  return `${n} active connection${n === 1 ? '' : 's'}`;
}

/** `draining, 3 active connections`, `drained (timeout), held at weight 0`, `drained (no active connections), removed`. */
export function drainStateText(row: Pick<DrainRow, 'state' | 'active' | 'why' | 'then'>): string {
  if (row.state === 'draining') return `draining, ${connections(row.active)}`;
  return `drained (${row.why ?? 'no active connections'}), ${row.then === 'remove' ? 'removed' : 'held at weight 0'}`;
}

/** The State cell of `show service`: `draining (3 active)`, `drained, held at 0`, `drained, removed`. */
export function drainCell(row: Pick<DrainRow, 'state' | 'active' | 'then'>): string {
  if (row.state === 'draining') return `draining (${row.active ?? 0} active)`;
  return row.then === 'remove' ? 'drained, removed' : 'drained, held at 0';
}

/** One line per drain: `web 198.51.100.20:80: draining, 3 active connections; configured weight 100`. */
export function drainLine(row: DrainRow): string {
  const weight = row.weight === null ? 'no longer configured' : `configured weight ${row.weight}`;
  const timeout = row.state === 'draining' && row.timeoutS !== undefined ? `, timeout ${row.timeoutS} s` : '';
  return `${row.service} ${backendText(row.address, row.port)}: ${drainStateText(row)}${timeout}; ${weight}`;
}

/** What `request backend … drain|resume` prints: a line per backend it named. */
export function drainResultText(result: DrainResult): string {
  return result.rows
    .map((row) => {
      const ref = `${row.service} ${backendText(row.address, row.port)}`;
      const again = result.unchanged.includes(drainRef(row));
      if (row.state === 'resumed') return `${ref}: ${again ? 'was not drained' : 'resumed'}, weight ${row.weight ?? '-'}`;
      return `${drainLine(row)}${again ? ' (drained already)' : ''}`;
    })
    .join('\n');
}

/** The lines `show health` adds below its table: `Drains:` and a line per drain. Empty without drains. */
export function drainSection(rows: readonly DrainRow[]): string[] {
  if (rows.length === 0) return [];
  return ['Drains:', ...rows.map((r) => `  ${drainLine(r)}`)];
}
