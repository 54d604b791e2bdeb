// The status report in the operator's words: `lbctl status`'s table, one row per IPVS service (the consecutive
// ports of one range that are in the same state folded into one row), the fix under each row that differs, the
// foreign services, and the verdict line.
import type { ServiceStatus, StatusReport } from '../engine/status.js';
import { portless } from './plan.js';

const STATE_TEXT: Record<ServiceStatus['state'], string> = {
  'in-sync': 'in sync',
  missing: 'missing',
  differs: 'differs',
  'not-programmed': 'not programmed',
  stale: 'stale',
};

/** The fix lines with the port taken out: two ports of a range that need the same fix have the same shape. */
const shape = (lines: string[], port: number | undefined) => (port === undefined ? lines.join('\n') : portless(lines.join('\n'), port));

/** Consecutive ports of one range in the same state fold into one row: `udp 203.0.113.10:7543-7814`. */
function foldRanges(services: ServiceStatus[]): Array<ServiceStatus & { count: number }> {
  const out: Array<ServiceStatus & { count: number; lastPort?: number; shape: string }> = [];
  const portOf = (id: string) => {
    const m = /:(\d+)$/.exec(id);
    return m ? Number(m[1]) : null;
  };
  for (const s of services) {
    const prev = out[out.length - 1];
    const port = portOf(s.id);
    const base = port === null ? s.id : s.id.slice(0, s.id.lastIndexOf(':'));
    if (
      prev && port !== null && prev.lastPort === port - 1 && prev.name === s.name && prev.state === s.state &&
      prev.shape === shape(s.differences, port) && prev.desiredDests === s.desiredDests &&
      prev.actualDests === s.actualDests && prev.id.startsWith(base + ':')
    ) {
      prev.count++;
      prev.lastPort = port;
      prev.id = `${base}:${prev.id.slice(base.length + 1).split('-')[0]}-${port}`;
      continue;
    }
    out.push({ ...s, count: 1, lastPort: port ?? undefined, shape: shape(s.differences, port ?? undefined) });
  }
  return out;
}

/** `applyCommand`: how the fix is spelled for this context (`lbctl apply --lab` in the lab). */
export function formatStatus(report: StatusReport, applyCommand = 'lbctl apply'): string {
  const folded = foldRanges(report.services);
  const rows = folded.map((s) => [
    s.name ?? '-',
    s.id + (s.count > 1 ? ` (${s.count})` : ''),
    STATE_TEXT[s.state],
    `${s.desiredDests}/${s.actualDests}`,
    s.reason ?? '',
  ]);
  const header = ['SERVICE', 'IPVS', 'STATE', 'DESTS want/have', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header)];
  for (const [i, s] of folded.entries()) {
    out.push(line(rows[i]));
    // A missing service's fix is "create all of it": the row says so; only real differences are listed.
    if (s.state !== 'missing') for (const d of s.differences) out.push(`    ${d.trim()}`);
  }
  if (report.services.length === 0) out.push('(the configuration declares no services)');
  const inSync = report.services.filter((s) => s.state === 'in-sync' || s.state === 'not-programmed').length;
  out.push('');
  if (report.foreign.length) {
    out.push("foreign (not lbctl's, left alone):");
    for (const f of report.foreign) out.push(`  ${f.id}  ${f.dests} dest${f.dests === 1 ? '' : 's'}`);
  }
  const n = report.services.length;
  out.push(
    `${n} IPVS service${n === 1 ? '' : 's'}: ${inSync} in sync` +
      (report.inSync ? '' : `, ${n - inSync} not (${notInSyncHint(report, applyCommand)})`) +
      `; ${report.foreign.length} foreign`,
  );
  return out.join('\n') + '\n';
}

/** What will bring the kernel in line: a clash with a foreign service is not fixed by a plain apply. */
function notInSyncHint(report: StatusReport, applyCommand: string): string {
  const ops = `${report.pendingOps} operation${report.pendingOps === 1 ? '' : 's'} pending`;
  const clashes = (report.clashes ?? []).filter((c) => c.programmed).length;
  if (clashes === 0) return `${ops}; '${applyCommand}' fixes it`;
  return `${ops}; ${clashes} declared service${clashes === 1 ? ' clashes' : 's clash'} with a foreign one: remove it from the configuration, or take it over with '${applyCommand} --adopt'`;
}
