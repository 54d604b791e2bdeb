// The IPVS table in the operator's words, for both places that show it:
//  - `lbctl show ipvs [--json]`: a fixed-width text table with an owner column, each service's settings as one
//    cell (`wrr persistent 60s mask 255.255.255.0`), destinations as `tunnel/gue:6080 thresh 0-100`, and the
//    64-bit counters; or the same as JSON;
//  - the shell's `show ipvs [stats|rate]`: modes/show-ipvs.ts lays out the table (the session fits it to the
//    terminal) and takes its Flags and Sched/Fwd cells from here (`sh-port persistent 60`, `tunnel/gue`).
// The two do not print the same cells (the CLI adds the `s` unit, the tunnel port, thresholds and the scheduler
// beside the flags): both sets of words live here so that the difference stays visible.
import { SVC_F_PERSISTENT, type IpvsService, type IpvsStats, type IpvsTableEntry } from '../engine/host.js';
import { defaultNetmask, flagNames, fwdName, netmaskText, tunName } from '../engine/compare.js';
import { destId, serviceId } from '../engine/identity.js';

type IpvsDest = IpvsTableEntry['dests'][number];

// ---- `lbctl show ipvs` ----

const counters = (s: IpvsStats | undefined) => s ?? { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };

function serviceText(s: IpvsService): string {
  const parts = [s.scheduler];
  const flags = s.flags & ~SVC_F_PERSISTENT;
  if (flags) parts.push(flagNames(flags, s.scheduler));
  if (s.flags & SVC_F_PERSISTENT)
    parts.push(`persistent ${s.timeout}s` + (s.netmask !== defaultNetmask(s.key.af) ? ` mask ${netmaskText(s.key.af, s.netmask)}` : ''));
  if (s.peName) parts.push(`pe ${s.peName}`);
  return parts.join(' ');
}

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

/** `nat`, `dr`, `tunnel/gue:6080` (a tunnel of unknown type reads as ipip, type 0). */
function forwardText(d: IpvsDest): string {
  const fwd = fwdName(d.fwdMethod);
  if (fwd !== 'tunnel') return fwd;
  return `tunnel/${tunName(d.tunType ?? 0)}${d.tunPort ? `:${d.tunPort}` : ''}`;
}

function table(rows: string[][], rightAligned: Set<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** `lbctl show ipvs`: `header`, one row per service and per destination (sorted), then the totals line. */
export function formatIpvs(entries: IpvsTableEntry[], owned: ReadonlySet<string>, header: string): string {
  const out = [header];
  if (entries.length === 0) {
    out.push('(no virtual services)');
    return out.join('\n') + '\n';
  }
  const rows: string[][] = [['', 'SERVICE / DESTINATION', 'SETTINGS', 'WEIGHT', 'ACTIVE', 'INACT', 'PERSIST', 'CONNS', 'INPKTS', 'OUTPKTS', 'INBYTES', 'OUTBYTES']];
  const sorted = [...entries].sort(compareEntries);
  for (const e of sorted) {
    const id = serviceId(e.service.key);
    const c = counters(e.service.stats);
    rows.push([owned.has(id) ? 'lbctl' : 'foreign', id, serviceText(e.service), '', '', '', '', `${c.conns}`, `${c.inPkts}`, `${c.outPkts}`, `${c.inBytes}`, `${c.outBytes}`]);
    for (const d of e.dests) {
      const dc = counters(d.stats);
      const thresholds = d.uThresh || d.lThresh ? ` thresh ${d.lThresh}-${d.uThresh}` : '';
      rows.push([
        '',
        `  -> ${destId(e.service.key.af, d)}`,
        forwardText(d) + thresholds,
        `${d.weight}`,
        `${d.activeConns ?? 0}`,
        `${d.inactConns ?? 0}`,
        `${d.persistConns ?? 0}`,
        `${dc.conns}`,
        `${dc.inPkts}`,
        `${dc.outPkts}`,
        `${dc.inBytes}`,
        `${dc.outBytes}`,
      ]);
    }
  }
  out.push(...table(rows, new Set([3, 4, 5, 6, 7, 8, 9, 10, 11])));
  const dests = entries.reduce((n, e) => n + e.dests.length, 0);
  const mine = sorted.filter((e) => owned.has(serviceId(e.service.key))).length;
  out.push(`${entries.length} services (${mine} lbctl, ${entries.length - mine} foreign), ${dests} destinations`);
  return out.join('\n') + '\n';
}

/** JSON with bigints as decimal strings and the owner of each service. */
export function ipvsJson(entries: IpvsTableEntry[], owned: ReadonlySet<string>, info: { version: string; connTabSize: number }): string {
  const body = {
    version: info.version,
    connTabSize: info.connTabSize,
    services: entries.map((e) => ({ id: serviceId(e.service.key), owner: owned.has(serviceId(e.service.key)) ? 'lbctl' : 'foreign', ...e.service, dests: e.dests })),
  };
  return JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

// ---- the shell's `show ipvs` cells ----

/**
 * `sh-port persistent 60`: the flags under the names the configuration uses (flagNames knows sh-/mh- only when
 * given the scheduler), with the persistent flag written once, together with its timeout.
 */
export function serviceFlagsText(svc: Pick<IpvsService, 'key' | 'flags' | 'scheduler' | 'timeout' | 'netmask' | 'peName'>): string {
  const names = flagNames(svc.flags & ~SVC_F_PERSISTENT, svc.scheduler);
  const mask = svc.netmask !== defaultNetmask(svc.key.af) ? ` mask ${netmaskText(svc.key.af, svc.netmask)}` : '';
  const persistent = svc.flags & SVC_F_PERSISTENT || svc.timeout ? `persistent${svc.timeout ? ` ${svc.timeout}` : ''}${mask}` : '';
  return [names === 'none' ? '' : names.replace(/,/g, ' '), persistent, svc.peName ? `pe ${svc.peName}` : ''].filter((x) => x).join(' ');
}

/** The Sched/Fwd cell of a destination: `masq`, `tunnel/gue` (the tunnel's type when the kernel reports one). */
export function forwardCell(d: IpvsDest): string {
  return fwdName(d.fwdMethod) + (d.tunType !== undefined && fwdName(d.fwdMethod) === 'tunnel' ? `/${tunName(d.tunType)}` : '');
}
