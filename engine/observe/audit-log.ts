// An audit record (engine/audit.ts) as a log record with the same fields, so journald and Graylog see every
// commit, rollback, confirm timeout, drift repair and health transition with who, what and which revisions.
// Pure: the daemon registers `observeAudit((r) => logAudit(log, r))`.
import type { AuditRecord } from '../audit.js';
import type { Log, LogFields, LogLevel } from './log-format.js';

/**
 * A diff longer than this is cut in the log record (the trail keeps it whole): the first load of 10,000
 * services is a 10 MB diff, which no GELF message carries (128 chunks of 8 KB) and no journal line should.
 */
export const LOG_DIFF_MAX = 32 * 1024;

export function auditLevel(r: AuditRecord): LogLevel {
  if (r.result === 'failed' || r.kernel?.ok === false) return 'error';
  if (r.result === 'refused' || r.action === 'confirm-timeout' || r.action === 'abort') return 'warning';
  return 'info';
}

/** The comment in the message: its first line, cut (the whole comment is the `comment` field). */
const MESSAGE_COMMENT_MAX = 120;

/** `audit: commit ok by root, revision 4 → 5: "comment"` (the first line of the comment). */
export function auditMessage(r: AuditRecord): string {
  const revs =
    r.revisionBefore !== undefined || r.revisionAfter !== undefined
      ? r.revisionBefore === r.revisionAfter
        ? `, revision ${r.revisionAfter ?? '-'}`
        : `, revision ${r.revisionBefore ?? '-'} → ${r.revisionAfter ?? '-'}`
      : '';
  const first = r.comment?.split('\n')[0] ?? '';
  const comment = first ? `: "${first.length > MESSAGE_COMMENT_MAX ? `${first.slice(0, MESSAGE_COMMENT_MAX)}…` : first}"` : '';
  return `audit: ${r.action} ${r.result} by ${r.user}${revs}${comment}`;
}

/**
 * The record's fields under their audit names, in the trail's order; `time` stays the log record's own (the
 * same instant, written a moment earlier). The kernel part is summarised: its operations are counted, not
 * listed (a commit at scale applies tens of thousands), the failure and rollback kept in words.
 */
export function auditFields(r: AuditRecord): LogFields {
  const { time: _time, action, result, user, kernel, diff, ...rest } = r;
  // What happened first, then who and the rest in the trail's order.
  const fields: LogFields = { action, result, user, ...rest };
  if (diff !== undefined) {
    fields.diff = diff.length > LOG_DIFF_MAX ? diff.slice(0, LOG_DIFF_MAX) : diff;
    if (diff.length > LOG_DIFF_MAX) fields.diffChars = diff.length;
  }
  if (kernel) {
    fields.kernel = {
      ok: kernel.ok,
      operations: kernel.applied.length,
      ...(kernel.failed !== undefined ? { failed: kernel.failed } : {}),
      ...(kernel.rolledBack !== undefined ? { rolledBack: kernel.rolledBack } : {}),
      ...(kernel.restored !== undefined ? { restored: kernel.restored } : {}),
    };
  }
  return fields;
}

export function logAudit(log: Log, r: AuditRecord): void {
  log(auditLevel(r), auditMessage(r), auditFields(r));
}
