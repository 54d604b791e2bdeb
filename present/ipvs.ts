// The IPVS table in the operator's words, one layout for both places that show it: `lbctl show ipvs
// [--stats|--rate] [--json]` and the shell's `show ipvs [service S] [stats|rate] [| json]`.
//  - text: a version line, a count line, then one table (the session or the CLI fits it to the terminal, or
//    keeps every value whole when the output is not a terminal). A service's row is ipvsadm's service line:
//    its scheduler and flags (`wlc persistent 60 mask 255.255.255.0`) run on over the destinations' number
//    columns; `stats` and `rate` trade the scheduler and weight for the kernel's counters;
//  - JSON: every kernel number that has a name is given by its name (`"family": "inet"`, `"forwarding":
//    "nat"`, `"netmask": "255.255.255.0"`), counters as decimal strings (they exceed 2^53).
import { AF_INET, SVC_F_PERSISTENT, type IpvsService, type IpvsStats, type IpvsTableEntry } from '../engine/host.js';
import { defaultNetmask, flagNames, fwdName, netmaskText, tunName } from '../engine/compare.js';
import { destId, serviceId } from '../engine/identity.js';
import { TableMeasure, type Column, type Table } from './table.js';

type IpvsDest = IpvsTableEntry['dests'][number];

export type IpvsView = 'basic' | 'stats' | 'rate';

/** What the listing says of a service and its destinations besides the kernel's own data. */
export interface IpvsLabels {
  /** The Name cell of a service: its configuration name, or why it has none (`(not ours)`). */
  service(id: string): string;
  /** The Name cell of a destination (the daemon's health marks: `down, inhibited`); absent = nothing. */
  dest?(id: string, d: IpvsDest): string;
}

/**
 * The State column: the same read judged against the running configuration (in sync, differs (weight 7→10),
 * missing …), with rows for what the configuration wants and the kernel lacks. Built by stateCells.
 */
export interface IpvsStateCells {
  /** `in sync with the running configuration`, or `NOT in sync … (1 differs)`: said on the count line. */
  headline: string;
  service(id: string): string;
  dest(id: string, did: string): string;
  /** Destinations of a service the kernel has, which the kernel lacks. */
  missingDests(id: string): string[];
  /** Services the kernel lacks altogether, with their destinations. */
  missingServices: { id: string; name: string; dests: string[] }[];
}

export interface IpvsInfo {
  kind: string;
  version: string;
  connTabSize: number;
}

const STAT_COLUMNS: Record<Exclude<IpvsView, 'basic'>, [string, keyof IpvsStats][]> = {
  stats: [
    ['Conns', 'conns'],
    ['InPkts', 'inPkts'],
    ['OutPkts', 'outPkts'],
    ['InBytes', 'inBytes'],
    ['OutBytes', 'outBytes'],
  ],
  rate: [
    ['CPS', 'cps'],
    ['InPPS', 'inPps'],
    ['OutPPS', 'outPps'],
    ['InBPS', 'inBps'],
    ['OutBPS', 'outBps'],
  ],
};

/** Family, protocol, address, then port as a number: 80 before 443. */
function compareEntries(a: IpvsTableEntry, b: IpvsTableEntry): number {
  const ka = a.service.key;
  const kb = b.service.key;
  if (ka.af !== kb.af) return ka.af - kb.af;
  if ('fwmark' in ka || 'fwmark' in kb) {
    if ('fwmark' in ka && 'fwmark' in kb) return ka.fwmark - kb.fwmark;
    return 'fwmark' in ka ? 1 : -1;
  }
  if (ka.protocol !== kb.protocol) return ka.protocol - kb.protocol;
  if (ka.addr !== kb.addr) return ka.addr < kb.addr ? -1 : 1;
  return ka.port - kb.port;
}

/** The entries in the listing's order (a copy): the JSON lists them as the table does. */
export function ipvsListingOrder(entries: IpvsTableEntry[]): IpvsTableEntry[] {
  return [...entries].sort(compareEntries);
}

const number = (title: string): Column => ({ title, align: 'right' });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface ListingPlan {
  text: string;
  sorted: IpvsTableEntry[];
  /** Absent when there is nothing to tabulate. */
  columns?: Column[];
}

function listingPlan(entries: IpvsTableEntry[], info: IpvsInfo, view: IpvsView, state?: IpvsStateCells): ListingPlan {
  const sorted = ipvsListingOrder(entries);
  const dests = sorted.reduce((n, e) => n + e.dests.length, 0);
  const text = [
    `IP Virtual Server version ${info.version} (size=${info.connTabSize})${info.kind === 'memory' ? ' [lab: in-memory]' : ''}`,
    `${plural(sorted.length, 'service')}, ${plural(dests, 'destination')}${state ? `; ${state.headline}` : ''}`,
  ].join('\n');
  if (sorted.length === 0 && !state?.missingServices.length) return { text, sorted };
  const statCols = view === 'basic' ? [] : STAT_COLUMNS[view];
  // State stands before the settings, so that a service's scheduler and flags still run on over the number
  // columns (a spilling cell needs empty cells after it).
  const columns: Column[] = [
    // Never cut: operators copy these addresses. Name gives way on a narrow terminal.
    { title: 'Service -> Backend' },
    { title: 'Name', shrink: true },
    ...(state ? [{ title: 'State' }] : []),
    ...(view === 'basic' ? [{ title: 'Sched/Fwd', spill: true }, ...['Weight', 'ActiveConn', 'InActConn'].map(number)] : statCols.map(([t]) => number(t))),
  ];
  return { text, sorted, columns };
}

/**
 * The table's rows, one at a time, in the listing's order (built again for each pass, never held). `ids`: the
 * service and destination ids by entry, filled by the first pass and read by the second (the ids are what a row
 * costs most to build: 50,000 canonical addresses at 10,000 services × 4 backends).
 */
function* listingRows(sorted: IpvsTableEntry[], view: IpvsView, labels: IpvsLabels, state?: IpvsStateCells, ids: string[][] = []): Generator<string[]> {
  // Index loops and rows built by push: this runs twice per `show ipvs` for 50,000 rows at 10,000 services, and
  // iterators, spreads and filters per row were most of the view's time in the daemon after the read.
  const statCols = view === 'basic' ? [] : STAT_COLUMNS[view];
  const basic = view === 'basic';
  const addStats = (row: string[], s: IpvsStats | undefined) => {
    for (const [, k] of statCols) row.push(String(s?.[k] ?? 0n));
  };
  for (let k = 0; k < sorted.length; k++) {
    const e = sorted[k];
    let known = ids[k];
    if (known === undefined) {
      known = [serviceId(e.service.key)];
      for (const d of e.dests) known.push(destId(e.service.key.af, d));
      ids[k] = known;
    }
    const id = known[0];
    const row = [id, labels.service(id)];
    if (state) row.push(state.service(id) ?? '');
    if (basic) {
      const flags = serviceFlagsText(e.service);
      const scheduler = e.service.scheduler;
      row.push(scheduler && flags ? `${scheduler} ${flags}` : scheduler || flags);
    } else addStats(row, e.service.stats);
    yield row;
    for (let j = 0; j < e.dests.length; j++) {
      const d = e.dests[j];
      const did = known[j + 1];
      const destRow = [`  -> ${did}`, labels.dest?.(id, d) ?? ''];
      if (state) destRow.push(state.dest(id, did) ?? '');
      if (basic) destRow.push(forwardText(d), String(d.weight), String(d.activeConns ?? 0), String(d.inactConns ?? 0));
      else addStats(destRow, d.stats);
      yield destRow;
    }
    if (state) for (const did of state.missingDests(id)) yield [`  -> ${did}`, '', 'missing'];
  }
  for (const m of state?.missingServices ?? []) {
    yield [m.id, m.name, 'missing'];
    for (const did of m.dests) yield [`  -> ${did}`, '', 'missing'];
  }
}

/**
 * The listing: `IP Virtual Server version …` and the counts as text, the services and destinations as a table;
 * `sorted` is the entries in the listing's order, for the JSON beside it.
 */
export function ipvsListing(
  entries: IpvsTableEntry[],
  info: IpvsInfo,
  view: IpvsView,
  labels: IpvsLabels,
  state?: IpvsStateCells,
): { text: string; table?: Table; sorted: IpvsTableEntry[] } {
  const { text, sorted, columns } = listingPlan(entries, info, view, state);
  if (!columns) return { text, sorted };
  return { text, table: { columns, rows: [...listingRows(sorted, view, labels, state)] }, sorted };
}

/**
 * The same listing as lines, laid out to `width` (0: no limit) exactly as renderTable lays out ipvsListing's
 * table, in two passes over the entries (one to measure the columns, one to print): the rows and the text are
 * never held whole (50,000 lines at 10,000 services × 4 backends).
 */
export function* ipvsListingLines(entries: IpvsTableEntry[], info: IpvsInfo, view: IpvsView, labels: IpvsLabels, state: IpvsStateCells | undefined, width: number): Generator<string> {
  const { text, sorted, columns } = listingPlan(entries, info, view, state);
  yield* text.split('\n');
  if (!columns) return;
  const measure = new TableMeasure(columns);
  const ids: string[][] = [];
  for (const r of listingRows(sorted, view, labels, state, ids)) measure.add(r);
  const layout = measure.layout(width);
  yield* layout.head();
  for (const r of listingRows(sorted, view, labels, state, ids)) yield* layout.row(r);
}

/**
 * `sh-port persistent 60`: the flags under the names the configuration uses (flagNames knows sh-/mh- only when
 * given the scheduler), with the persistent flag written once, together with its timeout and a mask that is
 * not the default.
 */
export function serviceFlagsText(svc: Pick<IpvsService, 'key' | 'flags' | 'scheduler' | 'timeout' | 'netmask' | 'peName'>): string {
  const names = flagNames(svc.flags & ~SVC_F_PERSISTENT, svc.scheduler);
  const mask = svc.netmask !== defaultNetmask(svc.key.af) ? ` mask ${netmaskText(svc.key.af, svc.netmask)}` : '';
  const persistent = svc.flags & SVC_F_PERSISTENT || svc.timeout ? `persistent${svc.timeout ? ` ${svc.timeout}` : ''}${mask}` : '';
  return [names === 'none' ? '' : names.replace(/,/g, ' '), persistent, svc.peName ? `pe ${svc.peName}` : ''].filter((x) => x).join(' ');
}

/** `nat`, `dr`, `tunnel/gue:6080` (a tunnel of unknown type reads as ipip, type 0). */
function forwardText(d: IpvsDest): string {
  const fwd = fwdName(d.fwdMethod);
  if (fwd !== 'tunnel') return fwd;
  return `tunnel/${tunName(d.tunType ?? 0)}${d.tunPort ? `:${d.tunPort}` : ''}`;
}

// ---- JSON ----

const PROTOCOL_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const familyName = (af: number) => (af === AF_INET ? 'inet' : 'inet6');

function statsJson(s: IpvsStats | undefined) {
  const c = s ?? { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)]));
}

function destJson(af: IpvsService['key']['af'], d: IpvsDest) {
  const fwd = fwdName(d.fwdMethod);
  return {
    id: destId(af, d),
    family: familyName(d.af ?? af),
    addr: d.addr,
    port: d.port,
    forwarding: fwd,
    ...(fwd === 'tunnel' ? { tunnel: { type: tunName(d.tunType ?? 0), port: d.tunPort ?? 0 } } : {}),
    weight: d.weight,
    upperThreshold: d.uThresh,
    lowerThreshold: d.lThresh,
    activeConns: d.activeConns ?? 0,
    inactConns: d.inactConns ?? 0,
    persistConns: d.persistConns ?? 0,
    stats: statsJson(d.stats),
  };
}

/** One service as JSON, with `name` (its configuration name, or null when the configuration has none). */
export function ipvsServiceJson(e: IpvsTableEntry, name: string | null) {
  const s = e.service;
  const k = s.key;
  return {
    id: serviceId(k),
    name,
    family: familyName(k.af),
    ...('fwmark' in k ? { fwmark: k.fwmark } : { protocol: PROTOCOL_NAMES[k.protocol] ?? `proto${k.protocol}`, addr: k.addr, port: k.port }),
    scheduler: s.scheduler,
    flags: flagNames(s.flags & ~SVC_F_PERSISTENT, s.scheduler).split(',').filter((f) => f !== 'none'),
    persistent: Boolean(s.flags & SVC_F_PERSISTENT),
    timeout: s.timeout,
    netmask: netmaskText(k.af, s.netmask),
    ...(s.peName ? { pe: s.peName } : {}),
    stats: statsJson(s.stats),
    dests: e.dests.map((d) => destJson(k.af, d)),
  };
}
