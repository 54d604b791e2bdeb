// Entering and leaving configuration mode: the kind of candidate (shared, private, exclusive), the `configure
// exclusive` lock, and this session's entry in the sessions registry (Junos `status`), kept current after each
// command and removed on leaving.
import { configsEqual } from '../../config/equal.js';
import type { Config } from '../../config/model.js';
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
import { itemLines, sharedEditsListing } from '../../present/shared-edits.js';

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
      if (this.shared.loaded && !configsEqual(this.shared.loaded, ctx.backend.running())) {
        lines.push('The shared candidate has uncommitted changes ("show | compare" shows them):');
        lines.push(...itemLines(Object.entries(this.shared.edits()), this.liveSessions()));
      }
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

  /**
   * Leaves configuration mode. A shared candidate stays as it is (Junos): other sessions' changes, and this
   * session's own unless it discarded them first; the returned note says what stays.
   */
  async leave(ctx: ModeContext): Promise<string | void> {
    const note = this.candidateKind === 'shared' ? this.leftBehind() : undefined;
    this.candidateKind = null;
    ctx.resetCandidate();
    await this.releaseLocks();
    return note;
  }

  private leftBehind(): string | undefined {
    const entries = Object.entries(this.shared.edits());
    if (!entries.length) return undefined;
    return ['% The shared candidate keeps these uncommitted changes:', ...itemLines(entries, this.liveSessions())].join('\n');
  }

  /** Session ids in configuration mode now (the registry prunes dead ones). */
  liveSessions(): Set<string> {
    try {
      return new Set(listSessions(this.wf.opts.stateDir).map((e) => e.id));
    } catch {
      return new Set();
    }
  }

  /** Uncommitted changes of this session: for a shared candidate, only the items this session changed. */
  dirty(ctx: ModeContext): boolean {
    if (this.candidateKind === 'shared') return this.shared.ownItems().length > 0;
    return candidateDirty(ctx);
  }

  /** After every command: where the session is and whether it has uncommitted changes. */
  afterCommand(ctx: ModeContext): void {
    if (!this.registry) return;
    try {
      const f = ctx.frames[ctx.frames.length - 1];
      this.registry.update({ dirty: this.dirty(ctx), path: f.kind === 'service' ? ['services', f.name] : [] });
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

  /**
   * `abort` (and "no" to the question on leaving): this session's changes are thrown away and configuration mode
   * left. In the shared candidate only the items this session changed go back; other sessions' stay (listed).
   */
  async discard(ctx: ModeContext): Promise<{ undone: string[]; kept: string[]; after?: Config; note?: string }> {
    const r = this.candidateKind === 'shared' ? this.shared.revert(ctx) : { undone: [], kept: [] };
    const after = r.undone.length ? ctx.candidate() : undefined;
    const note = await this.leave(ctx);
    ctx.end();
    return { ...r, ...(after ? { after } : {}), ...(note ? { note } : {}) };
  }

  /** Configure-mode `rollback 0` in the shared candidate: this session's changes go, other sessions' stay. */
  discardOwn(ctx: ModeContext): CommandOutput {
    const r = this.shared.revert(ctx);
    const lines = [r.undone.length ? `% Your uncommitted changes were discarded (${r.undone.join(', ')}).` : '% You made no uncommitted changes; nothing discarded.'];
    if (r.kept.length) lines.push(`% Kept, because another session changed them after you: ${r.kept.join(', ')}.`);
    const others = this.shared.othersItems();
    if (others.length) lines.push('% Other sessions\' uncommitted changes stay:', ...itemLines(others, this.liveSessions()));
    return { text: lines.join('\n') };
  }

  /** `update` moved the candidate onto another running revision. */
  rebased(revision: number): void {
    this.registry?.update({ baseRevision: revision });
  }

  /** `status`: every session editing the configuration, this one marked. */
  sessions(): CommandOutput {
    const stateDir = this.wf.opts.stateDir;
    const live = listSessions(stateDir);
    const text = formatSessions(live, {
      ...(this.registry ? { self: this.registry.id } : {}),
      exclusiveSession: exclusiveLockHolder(stateDir)?.session,
    });
    const edits = sharedEditsListing(this.shared.editsForListing(), new Set(live.map((e) => e.id)));
    return { text: [text.trimEnd(), ...edits].join('\n') };
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
