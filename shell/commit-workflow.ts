// The commit workflow of one shell session (issue 6): the CommitPort the modes call (modes/backend.ts). It only
// composes the parts in shell/commit/, one job each:
//   context.ts            the options, the session id, the store, the audit written in the session's name
//   shared-candidate.ts   the shared candidate file and its lock (`configure`)
//   configure-session.ts  entering/leaving configuration mode, the exclusive lock, the sessions registry
//   commit-run.ts         commit, commit check, commit confirmed: the engine's transaction and its output lines
//   confirm-watch.ts      the pending `commit confirmed` notice after each command
//   revisions.ts          abort, rollback, update, load
//   history-views.ts      show system commit [changes N], show audit
import type { CandidateKind, CommitPort, CommitRequest } from '../modes/backend.js';
import type { CommandOutput, ModeContext } from '../modes/types.js';
import { CommitRunner } from './commit/commit-run.js';
import { PendingConfirmWatch } from './commit/confirm-watch.js';
import { candidateDirty, ConfigureSession } from './commit/configure-session.js';
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
    this.shared = new SharedCandidate(opts.stateDir, this.wf.sessionId);
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

  dirty(ctx: ModeContext): boolean {
    return candidateDirty(ctx);
  }

  // ---- configuration mode ----

  enterConfigure(ctx: ModeContext, kind: CandidateKind): Promise<CommandOutput> {
    return this.configure.enter(ctx, kind);
  }

  leaveConfigure(ctx: ModeContext): Promise<void> {
    return this.configure.leave(ctx);
  }

  close(): Promise<void> {
    return this.configure.close();
  }

  // ---- commit ----

  async commit(ctx: ModeContext, req: CommitRequest): Promise<CommandOutput> {
    const out = await this.runner.run(ctx, {
      candidate: ctx.candidate(),
      base: ctx.candidateBase(),
      origin: 'shell',
      action: 'commit',
      ...(req.check ? { check: true } : {}),
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
