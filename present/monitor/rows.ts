// From reads of the system (a sample: the IPVS table, the running configuration, the daemon's health report,
// the VRRP picture) to the monitor's rows: one per virtual service, one per backend under it, each with its
// totals, its rates since the previous sample, its health verdict and its configured and effective weight.
// Sorting and filtering keep backends under their service: the operator reads a tree, not a flat list.
import type { Config } from '../../config/model.js';
import { canonicalAddress } from '../../config/derive.js';
import { declaredServiceNames, destId, serviceId, type IpvsTableEntry } from '../../engine/host.js';
import type { HaSnapshot } from '../../engine/ha/types.js';
import type { HealthReport, HealthRow } from '../../engine/health/report.js';
import { ratesBetween, totalsOf, type Rates, type Totals } from './rates.js';

export interface MonitorSample {
  /** When the table was read, in monotonic milliseconds (only differences between samples count). */
  atMs: number;
  entries: IpvsTableEntry[];
  config: Config;
  /** The daemon's health report; null when no daemon runs (then nothing checks the backends). */
  health: HealthReport | null;
  /** The VRRP picture; null when no HA watcher runs where the table was read. */
  ha: HaSnapshot | null;
}

/** Where samples come from (the shell's backend, or the CLI's engine port and health client). */
export interface MonitorSource {
  sample(): Promise<MonitorSample>;
}

/** What the `monitor` command hands the terminal face: the source, and the read it already made. */
export interface MonitorFeed {
  source: MonitorSource;
  first: MonitorSample;
  /** The node's name, for the title line. */
  node: string;
}

export interface MonitorRow {
  kind: 'service' | 'backend';
  /** serviceId of the virtual service (a backend's too): what keeps a backend under its service. */
  service: string;
  /** `tcp 192.0.2.10:80`, or `-> 198.51.100.11:80` for a backend. */
  label: string;
  /** The configuration's service name (`(not ours)` for a foreign service); '' on backend rows. */
  name: string;
  /** Backend: `up`, `down`, `unknown`, `-` (no daemon); service: `2/3 up`, or '' without health. */
  health: string;
  /** Backend: `100/0` (configured/effective in IPVS); `-/1` when the configuration does not name it. */
  weight: string;
  active: number;
  inactive: number;
  totals: Totals;
  rates: Rates;
}

export type SortKey = 'name' | 'cps' | 'inPps' | 'outPps' | 'inBps' | 'outBps' | 'active';

/** The order `s` cycles through. */
export const SORT_KEYS: readonly SortKey[] = ['name', 'cps', 'inPps', 'outPps', 'inBps', 'outBps', 'active'];

export const SORT_TITLES: Record<SortKey, string> = {
  name: 'name',
  cps: 'conn/s',
  inPps: 'in pkt/s',
  outPps: 'out pkt/s',
  inBps: 'in B/s',
  outBps: 'out B/s',
  active: 'active conns',
};

/** The rows of `cur`, in table order, with rates against `prev` (same ids). */
export function buildRows(cur: MonitorSample, prev: MonitorSample | null): MonitorRow[] {
  const owners = declaredServiceNames(cur.config);
  const elapsed = prev ? cur.atMs - prev.atMs : 0;
  const before = prev ? previousTotals(prev) : new Map<string, Totals>();
  const weights = configuredWeights(cur.config);
  const health = healthIndex(cur.health);
  const rows: MonitorRow[] = [];
  for (const e of cur.entries) {
    const id = serviceId(e.service.key);
    const name = owners.get(id);
    const backends: MonitorRow[] = e.dests.map((d) => {
      const did = destId(e.service.key.af, d);
      const totals = totalsOf(d.stats);
      const h = name === undefined ? undefined : healthOf(health, name, d.addr, d.port);
      const configured = name === undefined ? undefined : weightOf(weights, name, d.addr, d.port);
      return {
        kind: 'backend',
        service: id,
        label: `-> ${did}`,
        name: '',
        health: cur.health === null ? '-' : (h?.state ?? '-'),
        weight: `${configured ?? '-'}/${d.weight}`,
        active: d.activeConns ?? 0,
        inactive: d.inactConns ?? 0,
        totals,
        rates: ratesBetween(before.get(`${id}|${did}`), totals, elapsed),
      };
    });
    const totals = totalsOf(e.service.stats);
    const up = backends.filter((b) => b.health === 'up').length;
    rows.push(
      {
        kind: 'service',
        service: id,
        label: id,
        name: name ?? '(not ours)',
        health: cur.health === null || name === undefined ? '' : `${up}/${backends.length} up`,
        weight: '',
        active: backends.reduce((n, b) => n + b.active, 0),
        inactive: backends.reduce((n, b) => n + b.inactive, 0),
        totals,
        rates: ratesBetween(before.get(id), totals, elapsed),
      },
      ...backends,
    );
  }
  return rows;
}

function previousTotals(s: MonitorSample): Map<string, Totals> {
  const m = new Map<string, Totals>();
  for (const e of s.entries) {
    const id = serviceId(e.service.key);
    m.set(id, totalsOf(e.service.stats));
    for (const d of e.dests) m.set(`${id}|${destId(e.service.key.af, d)}`, totalsOf(d.stats));
  }
  return m;
}

/** `service|address|port` → configured weight (port 0: the backend follows the service's port). */
function configuredWeights(config: Config): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of config.services) for (const b of s.backends) m.set(`${s.name}|${canonicalAddress(b.address)}|${b.port}`, b.weight);
  return m;
}

function weightOf(weights: Map<string, number>, service: string, addr: string, port: number): number | undefined {
  const a = canonicalAddress(addr);
  return weights.get(`${service}|${a}|${port}`) ?? weights.get(`${service}|${a}|0`);
}

function healthIndex(report: HealthReport | null): Map<string, HealthRow[]> {
  const m = new Map<string, HealthRow[]>();
  for (const r of report?.rows ?? []) {
    const k = `${r.service}|${r.address}`;
    m.set(k, [...(m.get(k) ?? []), r]);
  }
  return m;
}

function healthOf(index: Map<string, HealthRow[]>, service: string, addr: string, port: number): HealthRow | undefined {
  const rows = index.get(`${service}|${canonicalAddress(addr)}`) ?? [];
  return rows.find((r) => r.port === port) ?? rows.find((r) => r.port === 0);
}

function sortValue(r: MonitorRow, key: SortKey): number {
  if (key === 'active') return r.active;
  if (key === 'name') return 0;
  return r.rates[key] ?? -1;
}

/**
 * Services ordered by `key` (highest first; `name` alphabetical by name, then address), each followed by its
 * backends ordered the same way. `reverse` turns both orders round. Ties keep the table's order.
 */
export function sortRows(rows: readonly MonitorRow[], key: SortKey, reverse = false): MonitorRow[] {
  const groups: { head: MonitorRow; backends: MonitorRow[] }[] = [];
  for (const r of rows) {
    if (r.kind === 'service') groups.push({ head: r, backends: [] });
    else groups[groups.length - 1]?.backends.push(r);
  }
  const sign = reverse ? -1 : 1;
  const cmp = (a: MonitorRow, b: MonitorRow): number => {
    if (key === 'name') {
      const byName = a.name.localeCompare(b.name) || a.label.localeCompare(b.label, undefined, { numeric: true });
      return sign * byName;
    }
    return sign * (sortValue(b, key) - sortValue(a, key));
  };
  return stableSort(groups, (a, b) => cmp(a.head, b.head)).flatMap((g) => [g.head, ...stableSort(g.backends, cmp)]);
}

function stableSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => cmp(a.item, b.item) || a.i - b.i)
    .map((x) => x.item);
}

/**
 * Rows whose text holds `filter` (any case): a matching service keeps all its backends; a matching backend
 * keeps its service row above it (so the operator still sees whose backend it is). Empty filter: all rows.
 */
export function filterRows(rows: readonly MonitorRow[], filter: string): MonitorRow[] {
  const f = filter.trim().toLowerCase();
  if (!f) return [...rows];
  const hit = (r: MonitorRow) => [r.label, r.name, r.health].some((t) => t.toLowerCase().includes(f));
  const out: MonitorRow[] = [];
  let head: MonitorRow | null = null;
  let headIn = false;
  let headShown = false;
  for (const r of rows) {
    if (r.kind === 'service') {
      head = r;
      headIn = hit(r);
      headShown = headIn;
      if (headIn) out.push(r);
      continue;
    }
    if (headIn || hit(r)) {
      if (head && !headShown) {
        out.push(head);
        headShown = true;
      }
      out.push(r);
    }
  }
  return out;
}
