// `lbctl show ipvs [--json]`: the kernel's IPVS table as it is (one read): services, destinations, weights,
// connection counts and the 64-bit counters. Services lbctl owns are marked; the rest are foreign.
import type { CliCommand } from '../command.js';
import { resolveContext } from '../context.js';
import { ensureLab, openContextDataplane } from '../lab.js';
import { parseCommandArgs } from './validate.js';
import { SVC_F_PERSISTENT, type IpvsDest, type IpvsService, type IpvsStats, type IpvsTableEntry } from '../../netlink/dataplane.js';
import { defaultNetmask, flagNames, fwdName, netmaskText, tunName } from '../../engine/compare.js';
import { destId, serviceId } from '../../engine/identity.js';
import { OwnershipRecord } from '../../engine/ownership.js';

const USAGE = `usage: lbctl show ipvs [--json] [--state-dir DIR] [--lab]

The kernel's IPVS table, read once: every virtual service with its scheduler, flags and persistence, every
destination with its forwarding method, weight, thresholds and active/inactive/persistent connections, and the
64-bit traffic counters (conns, packets and bytes in/out). "owner" says whether lbctl created the service
(recorded in the state directory) or it is foreign.

Options:
  --json            the same data as JSON (counters as decimal strings: they exceed 2^53)
  --state-dir DIR   where lbctl's ownership record is (default /var/lib/lbctl)
  --lab             the lab's in-memory IPVS (~/.lbctl-lab)
`;

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

function forwardText(d: IpvsDest): string {
  const fwd = fwdName(d.fwdMethod);
  if (fwd !== 'tunnel') return fwd;
  return `tunnel/${tunName(d.tunType ?? 0)}${d.tunPort ? `:${d.tunPort}` : ''}`;
}

function table(rows: string[][], rightAligned: Set<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

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

const showIpvs: CliCommand = {
  name: 'show ipvs',
  summary: "the kernel's IPVS table: services, destinations, weights, connections, 64-bit counters",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('show ipvs', argv, { json: { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    await ensureLab(ctx);
    const dataplane = await openContextDataplane(ctx);
    try {
      const info = await dataplane.info();
      const entries = await dataplane.readAll();
      const owned = (await OwnershipRecord.load(ctx.stateDir).catch(() => OwnershipRecord.inMemory())).ids();
      if (values.json) io.stdout(ipvsJson(entries, owned, info));
      else io.stdout(formatIpvs(entries, owned, `IP Virtual Server version ${info.version} (size=${info.connTabSize})${dataplane.kind === 'memory' ? ' [lab: in-memory]' : ''}`));
      return 0;
    } finally {
      await dataplane.close();
    }
  },
};

export default showIpvs;
