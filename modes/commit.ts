// The commit workflow's commands (issue 6): commit and its variants, rollback, update, load, abort, status (the
// kernel against the running configuration, as `lbctl status`) in configuration mode; rollback, show commit list, show configuration commit changes / sessions, show audit in
// exec mode. The handlers are thin: the work is done by the host's CommitPort (shell/commit-workflow.ts), reached
// through the ShellBackend, so modes/ keeps talking to the engine through one small interface.
import type { CommitPort } from './backend.js';
import { CommandError, type CommandDef, type ModeContext } from './types.js';
import { statusOutput } from './show-sync.js';

export const COMMIT_HELP: Record<string, string> = {
  commit: 'Commit the candidate configuration (validate, apply to IPVS, store a revision)',
  check: 'Validate and show the kernel operations, apply nothing (confirms a pending commit confirmed)',
  comment: 'A comment stored with the revision',
  confirmed: 'Roll back automatically unless confirmed by another commit within N minutes (default 10)',
  'and-quit': 'Commit, then leave configuration mode',
  'and-others': "Also commit other sessions' uncommitted changes in the shared candidate (a script must say so)",
  session: "Take one session's uncommitted changes out of the shared candidate (theirs go back, the rest stays)",
  $session: 'Session id (see "show configuration sessions")',
  rollback: 'Load revision current-N into the candidate (0 or nothing: discard your changes)',
  update: 'Rebase the candidate onto the newest running revision (merge; conflicts are reported)',
  abort: 'Discard the changes and leave configuration mode',
  status: 'Whether the kernel runs the running configuration, per IPVS service (what lbctl status prints)',
  full: 'Read the whole kernel table first and make it equal to the candidate, repairing any drift',
  load: 'Load configuration from a file into the candidate',
  merge: 'Merge the file into the candidate',
  override: 'Replace the candidate with the file',
  $comment: 'Comment text ("several words" in quotes)',
  $minutes: 'Minutes until the automatic rollback',
  $rollback: 'How many revisions back (0 = running)',
  $file: 'Path of a YAML configuration file',
};

export const EXEC_COMMIT_HELP: Record<string, string> = {
  rollback: 'Commit revision current-N again (shows the difference, asks first)',
  commit: 'Revision history',
  list: 'Revisions: number, id, time, user, origin, comment, pending confirmation',
  system: 'System information (Junos spelling)',
  configuration: 'The running configuration (Junos spelling of running-config), its history and sessions',
  changes: 'What one revision changed',
  sessions: 'Who is editing the configuration',
  audit: 'The audit trail of commits, checks, rollbacks and aborts',
  last: 'Only the newest N records',
  detail: 'With the differences and every kernel operation',
  $rollback: 'How many revisions back (1 = the previous one)',
  $changes: 'Revision number',
  $last: 'Number of records',
};

/** The host's commit workflow, or a clear refusal where there is none (a shell without a revision store). */
export function commitPort(ctx: ModeContext): CommitPort {
  const port = ctx.backend.commit;
  if (!port) throw new CommandError('% The commit workflow is not available in this session (no revision store).');
  return port;
}

/** Present at every configuration level (Junos allows commit anywhere in the hierarchy). */
export const CONFIG_COMMIT_COMMANDS: CommandDef[] = [
  {
    decl: 'commit [check] [full] [comment TEXT] [confirmed [<1-65535>]$minutes] [and-others] [and-quit]',
    help: COMMIT_HELP,
    edits: true,
    noDo: true,
    run: (a, ctx, kw) =>
      commitPort(ctx).commit(ctx, {
        check: kw.includes('check'),
        full: kw.includes('full'),
        ...(a.comment !== undefined ? { comment: a.comment as string } : {}),
        ...(kw.includes('confirmed') ? { confirmMinutes: (a.minutes as number | undefined) ?? 10 } : {}),
        andQuit: kw.includes('and-quit'),
        andOthers: kw.includes('and-others'),
      }),
  },
  {
    decl: 'rollback session EDITOR$session',
    help: COMMIT_HELP,
    edits: true,
    run: (a, ctx) => commitPort(ctx).rollbackSession(ctx, a.session as string),
  },
  {
    decl: 'rollback [BACK$rollback]',
    help: COMMIT_HELP,
    edits: true,
    run: (a, ctx) => commitPort(ctx).loadRollback(ctx, (a.rollback as number | undefined) ?? 0),
  },
  { decl: 'update', help: COMMIT_HELP, edits: true, run: (_a, ctx) => commitPort(ctx).update(ctx) },
  { decl: 'abort', help: COMMIT_HELP, noDo: true, run: (_a, ctx) => commitPort(ctx).abort(ctx) },
  // `lbctl status` inside the shell; who is editing is `show configuration sessions` (issue 12).
  { decl: 'status', help: COMMIT_HELP, pipes: 'text', run: (_a, ctx) => statusOutput(ctx) },
  {
    decl: 'show configuration sessions',
    help: { show: 'Show the candidate configuration', configuration: 'Configuration sessions', sessions: 'Who is editing the configuration' },
    pipes: 'text',
    run: (_a, ctx) => commitPort(ctx).sessions(ctx),
  },
  {
    decl: 'load merge|override$how WORD$file',
    help: COMMIT_HELP,
    edits: true,
    run: (a, ctx) => commitPort(ctx).load(ctx, a.how as 'merge' | 'override', a.file as string),
  },
];

export const EXEC_COMMIT_COMMANDS: CommandDef[] = [
  {
    decl: 'rollback BACK1$rollback',
    help: EXEC_COMMIT_HELP,
    edits: true,
    noDo: true,
    run: (a, ctx) => commitPort(ctx).execRollback(ctx, a.rollback as number),
  },
  { decl: 'show commit list', help: EXEC_COMMIT_HELP, pipes: 'text', run: (_a, ctx) => commitPort(ctx).commitList() },
  { decl: 'show system commit', help: EXEC_COMMIT_HELP, pipes: 'text', run: (_a, ctx) => commitPort(ctx).commitList() },
  {
    decl: 'show configuration commit changes REVISION',
    help: EXEC_COMMIT_HELP,
    pipes: 'text',
    run: (a, ctx) => commitPort(ctx).commitChanges(a.changes as number),
  },
  { decl: 'show configuration sessions', help: EXEC_COMMIT_HELP, pipes: 'text', run: (_a, ctx) => commitPort(ctx).sessions(ctx) },
  {
    decl: 'show audit [last <1-100000>] [detail]',
    help: EXEC_COMMIT_HELP,
    pipes: 'text',
    run: (a, ctx, kw) => commitPort(ctx).audit(a.last as number | undefined, kw.includes('detail')),
  },
];
