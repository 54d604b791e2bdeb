// Entering and leaving configuration mode: the kind of candidate (shared, private, exclusive), the `configure
// exclusive` lock, and this session's entry in the sessions registry (Junos `status`), kept current after each
// command and removed on leaving.
import { configsEqual } from '../../config/equal.js';
import { listSessions, registerSession, type SessionHandle } from '../../engine/sessions.js';
import { recordedUser } from '../../config/identity.js';
import { acquireExclusiveLock, exclusiveLockHolder } from '../../locks/exclusive-lock.js';
import { LockHeldError, type HeldLock } from '../../locks/lock.js';
import { describeHolder } from '../../locks/holder.js';
import type { CandidateKind } from '../../modes/backend.js';
import { CommandError, type CommandOutput, type ModeContext } from '../../modes/types.js';
import { formatSessions } from '../../present/sessions.js';
import type { WorkflowContext } from './context.js';
import type { SharedCandidate } from './shared-candidate.js';

/** The candidate differs from running (uncommitted changes). */
export function candidateDirty(ctx: ModeContext): boolean {
  if (!ctx.hasCandidate()) return false;
  return !configsEqual(ctx.candidate(), ctx.backend.running());
}

export class ConfigureSession {
  private candidateKind: CandidateKind | null = null;
  private registry: SessionHandle | null = null;
  private exclusive: HeldLock | null = null;

  constructor(
    private readonly wf: WorkflowContext,
    private readonly shared: SharedCandidate,
  ) {}

  /** Null outside configuration mode. */
  get kind(): CandidateKind | null {
    return this.candidateKind;
  }

  async enter(ctx: ModeContext, kind: CandidateKind): Promise<CommandOutput> {
    const { stateDir, store, storeError, identity } = this.wf.opts;
    const sessionId = this.wf.sessionId;
    // Editing would write a shared candidate and session records for a configuration that does not exist.
    if (this.wf.opts.noConfiguration) throw new CommandError(`% Cannot configure: ${this.wf.opts.noConfiguration}.`);
    if (kind === 'exclusive') {
      try {
        this.exclusive = await acquireExclusiveLock(stateDir, describeHolder({ session: sessionId }));
      } catch (e) {
        if (e instanceof LockHeldError) throw new CommandError(`% ${e.message}`);
        throw new CommandError(`% configure exclusive: ${(e as Error).message}`);
      }
    }
    const lines = ['Entering configuration mode.'];
    if (kind === 'shared') {
      await this.shared.load(ctx);
      this.candidateKind = kind;
      if (this.shared.loaded && !configsEqual(this.shared.loaded, ctx.backend.running()))
        lines.push('The shared candidate has uncommitted changes ("show | compare" shows them).');
    } else {
      this.candidateKind = kind;
      ctx.resetCandidate();
      lines.push(`${kind === 'exclusive' ? 'Exclusive' : 'Private'} candidate based on revision ${ctx.candidateBase()}.`);
    }
    try {
      this.registry = registerSession(stateDir, {
        kind,
        id: sessionId,
        user: recordedUser(identity),
        ...(kind !== 'shared' ? { baseRevision: ctx.candidateBase() } : {}),
      });
      const others = listSessions(stateDir).filter((e) => e.id !== sessionId);
      if (others.length) lines.push(formatSessions(others, { exclusiveSession: exclusiveLockHolder(stateDir)?.session }).trimEnd());
    } catch {
      this.registry = null; // a state directory we may not write: the session works, unlisted
    }
    if (!store) lines.push(`% Note: commits are not possible: ${storeError ?? 'the revision store is not available'}.`);
    ctx.enter({ kind: 'configure' });
    return { text: lines.join('\n') };
  }

  async leave(ctx: ModeContext): Promise<void> {
    this.candidateKind = null;
    ctx.resetCandidate();
    await this.releaseLocks();
  }

  /** After every command: where the session is and whether it has uncommitted changes. */
  afterCommand(ctx: ModeContext): void {
    if (!this.registry) return;
    try {
      const f = ctx.frames[ctx.frames.length - 1];
      this.registry.update({ dirty: candidateDirty(ctx), path: f.kind === 'service' ? ['services', f.name] : [] });
    } catch {
      /* the registry is informative: never fail a command for it */
    }
  }

  /** The candidate is now running: the next edit starts again from it; `commit and-quit` leaves too. */
  async committed(ctx: ModeContext, andQuit: boolean): Promise<void> {
    if (this.candidateKind === 'shared') this.shared.drop();
    ctx.resetCandidate();
    this.registry?.update({ baseRevision: ctx.backend.runningRevision(), dirty: false });
    if (andQuit) {
      await this.leave(ctx);
      ctx.end();
    }
  }

  /** `abort`: the candidate is thrown away and configuration mode left. */
  async discard(ctx: ModeContext): Promise<void> {
    if (this.candidateKind === 'shared') this.shared.drop();
    await this.leave(ctx);
    ctx.end();
  }

  /** `update` moved the candidate onto another running revision. */
  rebased(revision: number): void {
    this.registry?.update({ baseRevision: revision });
  }

  /** `status`: every session editing the configuration, this one marked. */
  sessions(): CommandOutput {
    const stateDir = this.wf.opts.stateDir;
    const text = formatSessions(listSessions(stateDir), {
      ...(this.registry ? { self: this.registry.id } : {}),
      exclusiveSession: exclusiveLockHolder(stateDir)?.session,
    });
    return { text: text.trimEnd() };
  }

  private async releaseLocks(): Promise<void> {
    try {
      this.registry?.close();
    } catch {
      /* gone already */
    }
    this.registry = null;
    const ex = this.exclusive;
    this.exclusive = null;
    if (ex) await ex.release().catch(() => {});
  }

  async close(): Promise<void> {
    this.candidateKind = null;
    await this.shared.release();
    await this.releaseLocks();
  }
}
