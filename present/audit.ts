// The audit trail in the operator's words: `show audit [last N] [detail]`, one row per record and its details.
import type { AuditRecord, SkippedLine } from '../engine/audit.js';

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-11-25 15:02:11` in local time, as an operator reads a clock. */
function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function revisions(r: AuditRecord): string {
  const b = r.revisionBefore ?? null;
  const a = r.revisionAfter ?? null;
  if (b === null && a === null) return '-';
  if (a === null || a === b) return String(b);
  if (b === null) return String(a);
  return `${b}->${a}`;
}

function who(r: AuditRecord): string {
  return r.sudoUser && r.sudoUser !== r.user ? `${r.sudoUser}(${r.user})` : r.user;
}

/**
 * `show audit [last N]`: one line per record (time, user, session, action, revisions, result), then indented
 * details: comment, error, kernel outcome; with `detail` also the diff and every kernel operation.
 */
export function formatAudit(records: AuditRecord[], opts: { detail?: boolean; skipped?: SkippedLine[] } = {}): string {
  if (records.length === 0 && !opts.skipped?.length) return 'No audit records.\n';
  const rows = records.map((r) => [
    clock(r.time),
    who(r),
    r.session ?? '-',
    r.action + (r.confirmMinutes ? ` confirmed ${r.confirmMinutes}` : ''),
    revisions(r),
    r.result,
  ]);
  const head = ['Time', 'User', 'Session', 'Action', 'Revision', 'Result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const out = [fmt(head)];
  records.forEach((r, i) => {
    out.push(fmt(rows[i]));
    if (r.comment) out.push(`    comment: ${r.comment}`);
    if (r.deadline) out.push(`    confirm by: ${clock(r.deadline)}`);
    if (r.error) out.push(`    error: ${r.error}`);
    if (r.kernel) {
      const k = r.kernel;
      const status = k.ok ? `${k.applied.length} operation${k.applied.length === 1 ? '' : 's'} applied` : `failed: ${k.failed ?? 'unknown error'}`;
      const undo = k.rolledBack ? (k.restored === false ? '; kernel NOT fully restored' : '; kernel restored') : '';
      out.push(`    kernel: ${status}${undo}`);
      if (opts.detail) for (const op of k.applied) out.push(`      ${op}`);
    }
    if (opts.detail && r.diff) for (const l of r.diff.trimEnd().split('\n')) out.push(`    ${l}`);
  });
  for (const s of opts.skipped ?? []) out.push(`% audit ${s.line > 0 ? `line ${s.line}` : 'line near the end'} skipped: ${s.reason}`);
  return out.join('\n') + '\n';
}
