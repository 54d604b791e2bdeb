// The status report in the operator's words: `lbctl status`'s table, one row per IPVS service (the consecutive
// ports of one range that are in the same state folded into one row), the fix under each row that differs, the
// foreign services, and the verdict line.
import type { ServiceStatus, StatusReport } from '../engine/status.js';
import type { KernelPending } from '../store/kernel-pending.js';
import type { PendingConfirm } from '../store/store.js';
import { portless } from './plan.js';
import { STATE_WORDS as STATE_TEXT } from './sync.js';

/** How the fix is spelled where the report is shown: `lbctl apply [--lab]`, or the shell's `commit full`. */
export interface FixWords {
  /** What brings the kernel in line with the configuration. */
  apply: string;
  /** What takes over a foreign service the configuration declares. */
  adopt: string;
}

/** `lbctl status`'s words; `applyCommand` is `lbctl apply --lab` in the lab. */
export function cliFixWords(applyCommand = 'lbctl apply'): FixWords {
  return { apply: applyCommand, adopt: `${applyCommand} --adopt` };
}

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

/** `fix`: how the fix is spelled for this context (`lbctl apply --lab` in the lab, `commit full` in the shell). */
export function formatStatus(report: StatusReport, fix: FixWords = cliFixWords()): string {
  return [...statusLines(report, fix)].join('\n') + '\n';
}

/** formatStatus's lines, one at a time (10,000 services: the text is never held whole). */
export function* statusLines(report: StatusReport, fix: FixWords = cliFixWords()): Generator<string> {
  const folded = foldRanges(report.services);
  const cells = (s: (typeof folded)[number]) => [s.name ?? '-', s.id + (s.count > 1 ? ` (${s.count})` : ''), STATE_TEXT[s.state], `${s.desiredDests}/${s.actualDests}`, s.reason ?? ''];
  const header = ['SERVICE', 'IPVS', 'STATE', 'DESTS want/have', ''];
  const widths = header.map((h) => h.length);
  for (const s of folded) cells(s).forEach((c, i) => (widths[i] = Math.max(widths[i], c.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  yield line(header);
  for (const s of folded) {
    yield line(cells(s));
    // A missing service's fix is "create all of it": the row says so; only real differences are listed.
    if (s.state !== 'missing') for (const d of s.differences) yield `    ${d.trim()}`;
  }
  if (report.services.length === 0) yield '(the configuration declares no services)';
  yield '';
  if (report.foreign.length) {
    yield "foreign (not lbctl's, left alone):";
    for (const f of report.foreign) yield `  ${f.id}  ${f.dests} dest${f.dests === 1 ? '' : 's'}`;
  }
  yield statusSummary(report, fix);
}

/** The verdict line: `7 IPVS services: 5 in sync, 2 not (3 operations pending; 'lbctl apply' fixes it); 0 foreign`. */
export function statusSummary(report: StatusReport, fix: FixWords = cliFixWords()): string {
  const inSync = report.services.filter((s) => s.state === 'in-sync' || s.state === 'not-programmed').length;
  const n = report.services.length;
  return (
    `${n} IPVS service${n === 1 ? '' : 's'}: ${inSync} in sync` +
    (report.inSync ? '' : `, ${n - inSync} not (${notInSyncHint(report, fix)})`) +
    `; ${report.foreign.length} foreign`
  );
}

/** What will bring the kernel in line: a clash with a foreign service is not fixed by a plain apply. */
function notInSyncHint(report: StatusReport, fix: FixWords): string {
  const ops = `${report.pendingOps} operation${report.pendingOps === 1 ? '' : 's'} pending`;
  const clashes = (report.clashes ?? []).filter((c) => c.programmed).length;
  if (clashes === 0) return `${ops}; '${fix.apply}' fixes it`;
  return `${ops}; ${clashes} declared service${clashes === 1 ? ' clashes' : 's clash'} with a foreign one: remove it from the configuration, or take it over with '${fix.adopt}'`;
}

/** What a killed or unconfirmed change left unsettled (store/unsettled.ts), for `lbctl status` and the shell. */
export function unsettledWarnings(u: { overdue: PendingConfirm | null; pending: KernelPending | null }): string[] {
  return [
    ...(u.overdue ? [`NOT in sync: the commit confirmed of revision ${u.overdue.revision} by ${u.overdue.user} passed its deadline (${u.overdue.deadline}) and is not rolled back yet`] : []),
    ...(u.pending ? [`NOT in sync: a ${u.pending.why} by ${u.pending.user} (pid ${u.pending.pid}) was interrupted between the kernel and the store; 'lbctl apply' (as root) finishes it`] : []),
  ];
}
