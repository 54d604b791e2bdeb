// The words of `show health` and of the health marks in `show service` / `show ipvs`: from the daemon's health
// report (engine/health/report.ts) to table cells and lines. No daemon, no checks: NO_HEALTH_CHECKS says how to
// start them.
import type { HealthReport, HealthRow, HealthServiceSummary, ManualHealthResult } from '../engine/health/report.js';

export type { HealthReport, HealthRow, HealthServiceSummary, ManualHealthRequest, ManualHealthResult } from '../engine/health/report.js';

export const NO_HEALTH_CHECKS = 'no health checks are running: start the daemon (lbctl daemon, or systemctl start lbctl)';

export const HEALTH_COLUMNS = ['Service', 'Backend', 'Check', 'State', 'Since', 'Last result', 'Latency', 'Trans'] as const;

/** `down (inhibited)`, `unknown (lab: not probed)`, `up`. */
export function stateText(row: Pick<HealthRow, 'state' | 'detail'>): string {
  return row.detail ? `${row.state} (${row.detail})` : row.state;
}

/** `5m 2s ago` (the exact time is in `| json`), or `-` without a time. */
export function sinceText(iso: string | null, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${agoText(now - t)} ago`;
}

function agoText(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function latencyText(ms: number | null): string {
  return ms === null ? '-' : `${ms} ms`;
}

/** One table row per backend, in HEALTH_COLUMNS order. */
export function healthRows(report: HealthReport, now = Date.now()): string[][] {
  return report.rows.map((r) => [r.service, r.backend, r.check, stateText(r), sinceText(r.since, now), r.last ?? '-', latencyText(r.latencyMs), String(r.transitions)]);
}

/** `web: 2 of 3 backends healthy, quorum 2; sorry 192.0.2.9 serving`. */
export function serviceHealthLine(s: HealthServiceSummary): string {
  const sorry = s.sorry === undefined ? '' : `; sorry ${s.sorry} ${s.sorryActive ? 'SERVING (below quorum)' : 'standing by'}`;
  return `${s.service}: ${s.healthy} of ${s.backends} backend${s.backends === 1 ? '' : 's'} healthy, quorum ${s.quorum}${sorry}`;
}

/** The header of `show health`: how many are up, down, unknown. */
export function healthHeader(report: HealthReport): string {
  const n = { up: 0, down: 0, unknown: 0 };
  for (const r of report.rows) n[r.state]++;
  const total = report.rows.length;
  return `Health: ${total} backend${total === 1 ? '' : 's'}: ${n.up} up, ${n.down} down, ${n.unknown} unknown${report.lab ? ' (lab: only loopback is probed)' : ''}`;
}

/** What `request backend … health …` prints. */
export function manualHealthText(address: string, r: ManualHealthResult): string {
  const what = r.state === 'auto' ? 'the checks decide again for' : `health set ${r.state} by hand for`;
  const lines = [`${address}: ${what} ${r.backends.join(', ')} (${r.changed} changed)`];
  if (r.unchecked?.length) lines.push(`  not changed (no health check, always up): ${r.unchecked.join(', ')}`);
  return lines.join('\n');
}

/**
 * The mark of a backend in `show ipvs` and `show service`: only what changes its weight: `down, inhibited`,
 * `down, removed`, `up, slow start 50 %`. Up and unknown (which counts as up) say nothing, so `show ipvs` reads
 * the same with and without a daemon while every backend is up.
 */
export function healthMark(row: HealthRow | undefined): string {
  if (!row || row.state === 'unknown') return '';
  if (row.state === 'up') return row.detail?.startsWith('slow start') ? `up, ${row.detail}` : '';
  return stateText(row).replace(/ \((.*)\)$/, ', $1');
}
