// Operator-facing sentences of the store: how a revision is named in an error, and the stale-base refusal.
import { formatClock } from '../locks/holder.js';
import type { FileChange, RevisionSummary } from './store-types.js';

/** `12 (alice, 15:02:11, 'add web')` */
export function describeRevision(rev: RevisionSummary, now: Date = new Date()): string {
  const who = rev.sudoUser && rev.sudoUser !== rev.user ? `${rev.sudoUser} as ${rev.user}` : rev.user;
  const parts = [who, formatClock(rev.time, now)];
  parts.push(rev.comment ? `'${rev.comment}'` : `${rev.origin}, no comment`);
  return `${rev.number} (${parts.join(', ')})`;
}

/**
 * "running is revision 12 (alice, 15:02:11, 'add web'), your candidate is based on 10; revisions in between:
 * 11 (bob, 15:01:02, 'tweak'), 12 (alice, 15:02:11, 'add web')"
 */
export function staleBaseMessage(running: RevisionSummary, base: number, between: RevisionSummary[], now: Date = new Date()): string {
  const head = `running is revision ${describeRevision(running, now)}, your candidate is based on ${base}`;
  if (base > running.number) return `${head}, which was never committed`;
  const listed = [...between].sort((a, b) => a.number - b.number).map((r) => describeRevision(r, now));
  const pruned = between.length < running.number - base ? ' (older ones pruned)' : '';
  return `${head}; revisions in between: ${listed.join(', ')}${pruned}`;
}

export function describeFileChanges(files: FileChange[]): string {
  return files.map((f) => `${f.path} (${f.change})`).join(', ');
}
