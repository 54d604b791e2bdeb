// What each shell session is told about a pending `commit confirmed`: which revision, until when, and how long
// is left.
import type { PendingConfirm } from '../store/store.js';
import { formatClock } from '../locks/holder.js';

/** `4m 05s`, `1h 02m`, `12s`; `0s` once due. */
export function formatRemaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/**
 * `% commit confirmed by alice: revision 13 will be rolled back to revision 12 at 15:12:00 (in 4m 05s) unless
 * confirmed with 'commit'.`
 */
export function pendingConfirmNotice(pending: PendingConfirm, now: Date = new Date()): string {
  const left = Date.parse(pending.deadline) - now.getTime();
  const when = `${formatClock(pending.deadline, now)} (${left > 0 ? `in ${formatRemaining(left)}` : 'due now'})`;
  return `% commit confirmed by ${pending.user}: revision ${pending.revision} will be rolled back to revision ${pending.previousRevision} at ${when} unless confirmed with 'commit'.`;
}
