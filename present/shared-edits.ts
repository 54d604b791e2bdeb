// The operator's words for other sessions' changes in the shared candidate: which item, who (user, session),
// and whether that session is still there (editing now, left configuration mode, gone), so that a commit that
// would carry them, or a refusal they cause, says whose they are and how to take them out.
import type { Editor, EditRecord, ItemEdits } from '../shell/commit/shared-edits.js';
import { editorsOf, UNKNOWN_EDITOR } from '../shell/commit/shared-edits.js';
import { holderLiveness } from '../locks/holder.js';

/** How to take one session's changes out of the shared candidate (configuration mode). */
export function discardHint(session: string): string {
  return `rollback session ${session}`;
}

/** `editing now` (in configuration mode), `not in configuration mode` (its shell runs), `gone`. */
export function editorState(e: Editor, liveSessions: ReadonlySet<string>): string {
  if (e.session === UNKNOWN_EDITOR.session) return 'unknown';
  if (liveSessions.has(e.session)) return 'editing now';
  if (e.pid === undefined || !e.host) return 'gone';
  const alive = holderLiveness({ user: e.user, pid: e.pid, pidStart: e.pidStart, host: e.host, bootId: e.bootId, since: '', token: '' });
  return alive === 'dead' ? 'gone' : alive === 'alive' ? 'not in configuration mode' : 'on another host';
}

/** `alice (session 4242-a1b2c3, gone)`; the changes of an old file: `an unknown session (…)`. */
export function describeEditor(e: Editor, liveSessions: ReadonlySet<string>): string {
  if (e.session === UNKNOWN_EDITOR.session) return 'an unknown session (made before lbctl recorded who edits)';
  return `${e.user} (session ${e.session}, ${editorState(e, liveSessions)})`;
}

/** `  service web: bob (session 4242-a1b2c3, editing now)`, one line per item. */
export function itemLines(entries: [string, ItemEdits][], liveSessions: ReadonlySet<string>): string[] {
  return entries.map(([item, entry]) => `  ${item}: ${editorsOf(entry).map((e) => describeEditor(e, liveSessions)).join(', ')}`);
}

/** The distinct sessions behind some items, for the "take them out with" hint. */
export function sessionsOf(entries: [string, ItemEdits][]): string[] {
  return [...new Set(entries.flatMap(([, e]) => editorsOf(e).map((x) => x.session)))];
}

/** `status`: every item of the shared candidate with its editors, and how to take one session's out. */
export function sharedEditsListing(record: EditRecord, liveSessions: ReadonlySet<string>): string[] {
  const entries = Object.entries(record);
  if (!entries.length) return [];
  return [
    'Uncommitted changes in the shared candidate:',
    ...itemLines(entries, liveSessions),
    `(in configuration mode, "${discardHint('ID')}" takes one session's changes out)`,
  ];
}
