// The commit workflow of one shell session (issue 6): the CommitPort the modes call (modes/backend.ts). It only
// composes the parts in shell/commit/, one job each:
//   context.ts            the options, the session id, the store, the audit written in the session's name
//   shared-candidate.ts   the shared candidate file and its lock (`configure`)
//   shared-edits.ts       who changed which item of the shared candidate; undoing one session's changes
//   carried-edits.ts      a commit that would carry other sessions' changes: listed, refused in a script
//   configure-session.ts  entering/leaving configuration mode, the exclusive lock, the sessions registry
//   commit-run.ts         commit, commit check, commit confirmed: the engine's transaction and its output lines
//   confirm-watch.ts      the pending `commit confirmed` notice after each command
//   revisions.ts          abort, rollback, update, load
//   history-views.ts      show system commit [changes N], show audit
import type { CandidateKind, CommitPort, CommitRequest } from '../modes/backend.js';
import { CommandError, type CommandOutput, type ModeContext } from '../modes/types.js';
import { describeHolder } from '../locks/holder.js';
import { recordedUser } from '../config/identity.js';
import { describeEditor, editorState } from '../present/shared-edits.js';
import { blameLines, carriedEdits } from './commit/carried-edits.js';
import { editorsOf } from './commit/shared-edits.js';
import { CommitRunner } from './commit/commit-run.js';
import { PendingConfirmWatch } from './commit/confirm-watch.js';
import { ConfigureSession } from './commit/configure-session.js';
import { WorkflowContext, type WorkflowOptions } from './commit/context.js';
import { auditView, commitChanges, commitList } from './commit/history-views.js';
import { RevisionCommands } from './commit/revisions.js';
import { SharedCandidate } from './commit/shared-candidate.js';

export class CommitWorkflow implements CommitPort {
  private readonly wf: WorkflowContext;
  private readonly shared: SharedCandidate;
  private readonly configure: ConfigureSession;
  private readonly runner: CommitRunner;
  private readonly confirmWatch: PendingConfirmWatch;
  private readonly revisions: RevisionCommands;

  constructor(opts: WorkflowOptions) {
    this.wf = new WorkflowContext(opts);
    const me = describeHolder({ session: this.wf.sessionId });
    this.shared = new SharedCandidate(
      opts.stateDir,
      { session: this.wf.sessionId, user: recordedUser(opts.identity), pid: me.pid, ...(me.pidStart !== undefined ? { pidStart: me.pidStart } : {}), host: me.host, ...(me.bootId ? { bootId: me.bootId } : {}) },
      (n) => opts.store?.get(n)?.config ?? null,
    );
    this.configure = new ConfigureSession(this.wf, this.shared);
    this.runner = new CommitRunner(this.wf);
    this.confirmWatch = new PendingConfirmWatch(opts.store);
    this.revisions = new RevisionCommands(this.wf, this.configure, this.runner);
  }

  get sessionId(): string {
    return this.wf.sessionId;
  }

  // ---- around every command ----

  async beforeCommand(ctx: ModeContext): Promise<void> {
    if (this.configure.kind === 'shared') await this.shared.load(ctx);
  }

  async afterCommand(ctx: ModeContext): Promise<void> {
    try {
      if (this.configure.kind === 'shared') this.shared.save(ctx);
    } finally {
      await this.shared.release();
    }
    this.configure.afterCommand(ctx);
    this.confirmWatch.afterCommand(ctx);
  }

  whileIdle(ctx: ModeContext): void {
    this.confirmWatch.whileIdle(ctx);
  }

  dirty(ctx: ModeContext): boolean {
    return this.configure.dirty(ctx);
  }

  // ---- configuration mode ----

  enterConfigure(ctx: ModeContext, kind: CandidateKind): Promise<CommandOutput> {
    return this.configure.enter(ctx, kind);
  }

  leaveConfigure(ctx: ModeContext): Promise<string | void> {
    return this.configure.leave(ctx);
  }

  /**
   * A script stopped on an error: this session's changes leave the shared candidate, which is then as the script
   * found it (unless another session changed the same item after it: said so). Returns the lines to print.
   */
  async abandon(ctx: ModeContext): Promise<string[]> {
    if (this.configure.kind !== 'shared') return [];
    const r = this.shared.revert(ctx);
    const lines: string[] = [];
    if (r.undone.length) lines.push(`% The run stopped: its uncommitted changes were taken out of the shared candidate (${r.undone.join(', ')}).`);
    if (r.kept.length) lines.push(`% Kept, because another session changed them after this run: ${r.kept.join(', ')}.`);
    return lines;
  }

  /** `rollback session ID`: one session's latest changes taken out of the shared candidate. */
  rollbackSession(ctx: ModeContext, session: string): CommandOutput {
    if (this.configure.kind !== 'shared') throw new CommandError('% rollback session: only in the shared candidate ("configure").');
    const entry = Object.values(this.shared.edits()).flatMap((e) => editorsOf(e)).find((e) => e.session === session);
    if (!entry) throw new CommandError(`% rollback session: session ${session} has no uncommitted changes in the shared candidate.`);
    const who = describeEditor(entry, this.configure.liveSessions());
    const r = this.shared.revert(ctx, session);
    const lines = r.undone.length ? [`% Took out the changes of ${who}: ${r.undone.join(', ')}.`] : [];
    if (r.kept.length) lines.push(`% Kept, because another session changed them after it: ${r.kept.join(', ')}.`);
    return { text: lines.join('\n') };
  }

  /** Sessions with changes in the shared candidate, for completing `rollback session`. */
  sharedEditors(): { value: string; help: string }[] {
    const live = this.configure.liveSessions();
    const seen = new Map<string, { value: string; help: string }>();
    for (const [item, e] of Object.entries(this.shared.editsForListing()))
      for (const ed of editorsOf(e)) {
        const prev = seen.get(ed.session);
        seen.set(ed.session, { value: ed.session, help: prev ? `${prev.help}, ${item}` : `${ed.user}, ${editorState(ed, live)}: ${item}` });
      }
    return [...seen.values()];
  }

  close(): Promise<void> {
    return this.configure.close();
  }

  // ---- commit ----

  async commit(ctx: ModeContext, req: CommitRequest): Promise<CommandOutput> {
    const shared = this.configure.kind === 'shared';
    const live = shared ? this.configure.liveSessions() : new Set<string>();
    const carried = shared
      ? carriedEdits(this.shared.othersItems(), live, { interactive: this.wf.opts.interactive === true, andOthers: req.andOthers === true, check: req.check === true })
      : { lines: [] };
    if (carried.refuse) throw new CommandError(carried.refuse);
    let out: CommandOutput;
    try {
      out = await this.commitCandidate(ctx, req);
    } catch (e) {
      if (!shared || !(e instanceof CommandError) || !/^% Validation failed/.test(e.message)) throw e;
      const blame = blameLines(ctx.candidate(), this.shared.edits(), this.wf.sessionId, live);
      throw blame.length ? new CommandError([e.message, ...blame].join('\n')) : e;
    }
    return carried.lines.length ? { ...out, text: [...carried.lines, out.text ?? ''].join('\n') } : out;
  }

  private async commitCandidate(ctx: ModeContext, req: CommitRequest): Promise<CommandOutput> {
    const out = await this.runner.run(ctx, {
      candidate: ctx.candidate(),
      base: ctx.candidateBase(),
      origin: 'shell',
      action: 'commit',
      ...(req.check ? { check: true } : {}),
      ...(req.full ? { full: true } : {}),
      ...(req.comment !== undefined ? { comment: req.comment } : {}),
      ...(req.confirmMinutes !== undefined ? { confirmMinutes: req.confirmMinutes } : {}),
    });
    if (!req.check) await this.configure.committed(ctx, req.andQuit === true);
    return out;
  }

  // ---- abort, rollback, update, load ----

  abort(ctx: ModeContext): Promise<CommandOutput> {
    return this.revisions.abort(ctx);
  }

  loadRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    return this.revisions.loadRollback(ctx, n);
  }

  execRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    return this.revisions.execRollback(ctx, n);
  }

  update(ctx: ModeContext): Promise<CommandOutput> {
    return this.revisions.update(ctx);
  }

  load(ctx: ModeContext, how: 'merge' | 'override', file: string): Promise<CommandOutput> {
    return this.revisions.load(ctx, how, file);
  }

  // ---- looking ----

  commitList(): CommandOutput {
    return commitList(this.wf);
  }

  commitChanges(n: number): CommandOutput {
    return commitChanges(this.wf, n);
  }

  sessions(_ctx: ModeContext): CommandOutput {
    return this.configure.sessions();
  }

  audit(last?: number, detail?: boolean): CommandOutput {
    return auditView(this.wf, last, detail);
  }
}
