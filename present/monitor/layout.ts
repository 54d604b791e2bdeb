// The monitor's words: the title and summary lines, the table fitted to the terminal (narrow columns give way,
// then whole columns, least useful first; rows past the bottom become a "+N more" line), the key footer, and
// the one-snapshot form for a pipe or a script (every value in full, nothing cut, no colour).
import type { HaSnapshot } from '../../engine/ha/types.js';
import type { MonitorRow, MonitorSample, SortKey } from './rows.js';
import { SORT_TITLES, sortRows } from './rows.js';
import type { Rates, Totals } from './rates.js';

export type Figures = 'rates' | 'totals';

interface Column {
  title: string;
  right: boolean;
  cell(r: MonitorRow, compact: boolean): string;
  /**
 * Dropped when the terminal is too narrow, highest first; 0 never. Packets go before bytes (bytes say more
 * about load), the health verdict and the weights stay longest after the connections.
 */
  drop: number;
}

const RATE_COLUMNS: [string, keyof Rates, number][] = [
  ['Conn/s', 'cps', 1],
  ['InPkt/s', 'inPps', 8],
  ['OutPkt/s', 'outPps', 9],
  ['InB/s', 'inBps', 5],
  ['OutB/s', 'outBps', 6],
];

const TOTAL_COLUMNS: [string, keyof Totals, number][] = [
  ['Conns', 'conns', 1],
  ['InPkts', 'inPkts', 8],
  ['OutPkts', 'outPkts', 9],
  ['InBytes', 'inBytes', 5],
  ['OutBytes', 'outBytes', 6],
];

function columns(figures: Figures): Column[] {
  return [
    { title: 'Service / Backend', right: false, cell: (r) => (r.kind === 'backend' ? `  ${r.label}` : r.label), drop: 0 },
    { title: 'Name', right: false, cell: (r) => r.name, drop: 0 },
    { title: 'Health', right: false, cell: (r) => r.health, drop: 3 },
    { title: 'Weight', right: true, cell: (r) => r.weight, drop: 4 },
    { title: 'ActConn', right: true, cell: (r) => String(r.active), drop: 2 },
    { title: 'InActConn', right: true, cell: (r) => String(r.inactive), drop: 10 },
    ...(figures === 'rates'
      ? RATE_COLUMNS.map(([title, k, drop]) => ({ title, right: true, cell: (r: MonitorRow, c: boolean) => rateText(r.rates[k], c), drop }))
      : TOTAL_COLUMNS.map(([title, k, drop]) => ({ title, right: true, cell: (r: MonitorRow, c: boolean) => countText(r.totals[k], c), drop }))),
  ];
}

const SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** 999, 1.23k, 45.6M: three significant figures past 9,999 (a terminal column, not a ledger). */
export function compactNumber(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  let i = 0;
  let v = n;
  while (v >= 1000 && i < SUFFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${SUFFIXES[i]}`;
}

/** A rate: `-` before there are two reads; one decimal under 10/s, where the fraction still tells something. */
export function rateText(v: number | null, compact: boolean): string {
  if (v === null) return '-';
  if (v === 0) return '0';
  if (v < 10) return v.toFixed(1);
  return compact ? compactNumber(v) : String(Math.round(v));
}

/** A 64-bit counter: in full (a pipe), or compact past 99,999 (the screen). */
export function countText(v: bigint, compact: boolean): string {
  if (!compact || v < 100_000n) return v.toString();
  return compactNumber(Number(v));
}

function cut(s: string, width: number): string {
  if (s.length <= width) return s;
  if (width <= 1) return s.slice(0, width);
  return s.slice(0, width - 1) + '…';
}

/**
 * The table as lines no wider than `width` (Infinity: nothing is cut or dropped). When too wide, the Name
 * column narrows to 4, then columns are dropped (inactive connections, packets, bytes, weight, health, active
 * connections), and at last the first column is cut.
 */
export function fitTable(rows: readonly MonitorRow[], figures: Figures, width: number, compact: boolean): string[] {
  let cols = columns(figures);
  const cells = rows.map((r) => cols.map((c) => c.cell(r, compact)));
  let widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  let keep = cols.map((_, i) => i);
  const total = () => keep.reduce((n, i) => n + widths[i], 0) + 2 * (keep.length - 1);
  if (total() > width) {
    const nameI = 1;
    widths[nameI] = Math.max(4, widths[nameI] - (total() - width));
  }
  while (total() > width) {
    const candidates = keep.filter((i) => cols[i].drop > 0);
    if (candidates.length === 0) break;
    const worst = candidates.reduce((a, b) => (cols[b].drop > cols[a].drop ? b : a));
    keep = keep.filter((i) => i !== worst);
  }
  if (total() > width) widths[0] = Math.max(8, widths[0] - (total() - width));
  const line = (texts: string[]) =>
    keep
      .map((i) => {
        const t = cut(texts[i], widths[i]);
        return cols[i].right ? t.padStart(widths[i]) : t.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  const out = [line(cols.map((c) => c.title)), ...cells.map(line)];
  return Number.isFinite(width) ? out.map((l) => cut(l, width)) : out;
}

/** `HA: none`, or the summary and each instance: `HA: master  VI_1 (vrid 51, eth0) master, VI_2 (…) backup`. */
export function haText(ha: HaSnapshot | null): string {
  if (!ha) return 'HA: none';
  const inst = ha.instances.map((i) => `${i.name} (vrid ${i.vrid}, ${i.interface}) ${i.state}`);
  return [`HA: ${ha.summary}`, ...(inst.length ? [inst.join(', ')] : [])].join('  ');
}

/** `Services 2, backends 5 (4 up, 1 down)  Health: no daemon, not checked  HA: none`. */
export function summaryLine(sample: MonitorSample, rows: readonly MonitorRow[]): string {
  const backends = rows.filter((r) => r.kind === 'backend');
  const services = rows.length - backends.length;
  let health: string;
  if (sample.health === null) health = 'Health: no daemon, not checked';
  else {
    const count = (s: string) => backends.filter((b) => b.health === s).length;
    health = `Health: ${count('up')} up, ${count('down')} down${count('unknown') ? `, ${count('unknown')} unknown` : ''}`;
  }
  return `Services ${services}, backends ${backends.length}  ${health}  ${haText(sample.ha)}`;
}

/**
 * The one-snapshot form (a pipe, `lbctl shell -c monitor`): totals in full, every row, no width limit, services
 * by name (one read has no rates to sort by).
 */
export function snapshotText(node: string, sample: MonitorSample, rows: readonly MonitorRow[]): string {
  return [
    `lbctl monitor on ${node}: one snapshot, totals since the counters were zeroed (a terminal shows rates per second)`,
    summaryLine(sample, rows),
    '',
    ...fitTable(sortRows(rows, 'name'), 'totals', Infinity, false),
  ].join('\n');
}

export interface FrameState {
  node: string;
  /** `12:00:01`, the time of the newest read. */
  clock: string;
  intervalS: number;
  sort: SortKey;
  reverse: boolean;
  figures: Figures;
  /** The filter in force ('' = none). */
  filter: string;
  /** The filter being typed after `/`; null when not typing. */
  editing: string | null;
  /** First row shown (scrolled with the arrows and page keys). */
  scroll: number;
  /** The last read failed: why (the screen keeps the previous figures). */
  error: string | null;
}

export interface Frame {
  lines: string[];
  /** The scroll offset actually used (clamped to the rows there are). */
  scroll: number;
  /** Rows of the table body that fit (for page keys). */
  page: number;
}

export const FOOTER = 's sort  r reverse  / filter  t totals/rates  ↑↓ PgUp PgDn scroll  q quit';

/** The full screen, `width` × `height` at most: title, summary, table, "+N more", footer. */
export function layoutFrame(state: FrameState, sample: MonitorSample, all: readonly MonitorRow[], shown: readonly MonitorRow[], width: number, height: number): Frame {
  const sortText = `sort: ${SORT_TITLES[state.sort]} ${state.reverse !== (state.sort === 'name') ? '▲' : '▼'}`;
  const filterText = state.filter ? `  filter: ${state.filter} (${shown.filter((r) => r.kind === 'service').length} services)` : '';
  const title = `lbctl monitor on ${state.node}  every ${state.intervalS} s  ${state.figures === 'rates' ? 'rates per second' : 'totals'}  ${sortText}${filterText}`;
  const clock = state.clock;
  const titleLine = title.length + 2 + clock.length <= width ? title + ' '.repeat(width - title.length - clock.length) + clock : title;
  const head = [titleLine, summaryLine(sample, all)];
  if (state.error) head.push(`% ${state.error}`);
  const footer = state.editing !== null ? `filter: ${state.editing}_   Enter apply  Esc clear` : FOOTER;
  const [columnsLine, ...body] = fitTable(shown, state.figures, width, true);
  const page = Math.max(1, height - head.length - 2);
  let scroll = 0;
  let visible: string[];
  if (body.length <= page) visible = body;
  else {
    // One row gives way to the "+N more" line.
    scroll = Math.max(0, Math.min(state.scroll, body.length - (page - 1)));
    visible = body.slice(scroll, scroll + page - 1);
    const hidden = body.length - visible.length;
    visible.push(`+${hidden} more (${scroll} above, ${hidden - scroll} below: ↑↓ PgUp PgDn)`);
  }
  const lines = [...head, columnsLine ?? '', ...visible];
  while (lines.length < height - 1) lines.push('');
  lines.push(footer);
  return { lines: lines.slice(0, Math.max(1, height)).map((l) => cut(l, width)), scroll, page: Math.max(1, page - 1) };
}
