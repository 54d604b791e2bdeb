// The sessions registry in the operator's words: Junos `status`, who is editing the configuration and how.
import { hostname } from 'node:os';
import type { SessionEntry } from '../engine/sessions.js';
import { formatClock } from '../locks/holder.js';

function idle(lastActive: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(lastActive)) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export interface FormatSessionsOptions {
  now?: Date;
  /** This session's id: marked with `*`. */
  self?: string;
  /** The session holding `configure exclusive` (from the lock's holder record), when known. */
  exclusiveSession?: string;
}

/**
 * Junos `status`:
 *   Users currently editing the configuration:
 *     alice terminal pts/1 (pid 4242) on since 15:02:11, idle 00:03:10, exclusive, uncommitted changes
 *         [edit services web]
 */
export function formatSessions(entries: SessionEntry[], opts: FormatSessionsOptions = {}): string {
  const now = opts.now ?? new Date();
  if (entries.length === 0) return 'No users are editing the configuration.\n';
  const lines = ['Users currently editing the configuration:'];
  for (const e of entries) {
    const who = e.sudoUser ? `${e.sudoUser} (as ${e.user})` : e.user;
    const where = `${e.tty ? `terminal ${e.tty}` : 'no terminal'} (pid ${e.pid}${e.host !== hostname() ? ` on ${e.host}` : ''})`;
    const notes = [`on since ${formatClock(e.since, now)}`, `idle ${idle(e.lastActive, now)}`];
    if (e.kind !== 'shared') notes.push(e.kind);
    if (opts.exclusiveSession === e.id && e.kind !== 'exclusive') notes.push('holds the exclusive lock');
    if (e.dirty) notes.push('uncommitted changes');
    if (e.baseRevision !== undefined && e.kind !== 'shared') notes.push(`based on revision ${e.baseRevision}`);
    lines.push(`${opts.self === e.id ? '*' : ' '} ${who} ${where} ${notes.join(', ')}`);
    lines.push(`      [edit${e.path.length ? ' ' + e.path.join(' ') : ''}]`);
  }
  return lines.join('\n') + '\n';
}
