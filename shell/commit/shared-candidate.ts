// The shared candidate: one file in the state directory for every `configure` (shared) session, read before each
// command and written after it under a lock, so two shared sessions edit the same candidate one command at a time.
// The file also records who changed which item (shared-edits.ts), so a session can take out only its own changes
// and a commit can say whose changes it would carry. A file without that record (older lbctl) reads as changes
// of an unknown session.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync } from 'node:fs';
import { writeNewFile } from '../../store/atomic.js';
import { join } from 'node:path';
import type { Config } from '../../config/model.js';
import { configsEqual } from '../../config/equal.js';
import { acquireLock, type HeldLock } from '../../locks/lock.js';
import { describeHolder } from '../../locks/holder.js';
import { locksDir } from '../../locks/paths.js';
import { CommandError, type ModeContext } from '../../modes/types.js';
import {
  othersItems,
  ownItems,
  reconcileRecord,
  recordChange,
  revertSession,
  UNKNOWN_EDITOR,
  type Editor,
  type EditRecord,
  type ItemEdits,
} from './shared-edits.js';

export const SHARED_CANDIDATE_FILE = 'candidate-shared.json';

interface SharedCandidateFile {
  base: number;
  config: Config;
  /** Who changed which item; absent in files of older versions. */
  edits?: EditRecord;
}

/** What taking one session's changes out did (items as `service web`, `vip` …). */
export interface Reverted {
  undone: string[];
  /** Changed by that session, but another session changed them after it: they stay. */
  kept: string[];
}

export class SharedCandidate {
  private lock: HeldLock | null = null;
  /** The shared candidate as loaded before this command (to see whether the command changed it). */
  private loadedConfig: Config | null = null;
  private loadedBase = 0;
  private record: EditRecord = {};
  /** The items this session had changed when its last command ended, and the running revision then. */
  private mine: string[] = [];
  private seenRevision = -1;

  constructor(
    private readonly stateDir: string,
    /** This session, as the record names it. */
    private readonly editor: Editor,
    /** The configuration of a stored revision (to read an old file's base), null when unknown. */
    private readonly revision: (n: number) => Config | null = () => null,
  ) {}

  private get sessionId(): string {
    return this.editor.session;
  }

  /** Who changed what, as loaded in this command. */
  edits(): EditRecord {
    return this.record;
  }

  /** Who changed what: as loaded in this command, or read now without the lock (a listing outside configure). */
  editsForListing(): EditRecord {
    if (this.lock) return this.record;
    return this.read()?.edits ?? {};
  }

  /** The items this session changed (between commands: as the last command left them). */
  ownItems(): string[] {
    return this.lock ? ownItems(this.record, this.sessionId) : this.mine;
  }

  /** The items other sessions changed (a commit of this session would carry them). */
  othersItems(): [string, ItemEdits][] {
    return othersItems(this.record, this.sessionId);
  }

  /** What `load` found (null: no shared candidate, or none loaded in this command). */
  get loaded(): Config | null {
    return this.loadedConfig;
  }

  private path(): string {
    return join(this.stateDir, SHARED_CANDIDATE_FILE);
  }

  /** Takes the lock (if this command does not hold it yet) and makes the file the session's candidate. */
  async load(ctx: ModeContext): Promise<void> {
    if (!this.lock) {
      try {
        this.lock = await acquireLock({
          name: 'shared candidate',
          path: join(locksDir(this.stateDir), 'candidate-shared.lock'),
          holder: describeHolder({ session: this.sessionId }),
          waitMs: 10_000,
        });
      } catch (e) {
        throw new CommandError(`% The shared candidate is busy: ${(e as Error).message}`);
      }
    }
    const shared = this.read();
    if (shared) ctx.setCandidate(shared.config, shared.base);
    else ctx.resetCandidate();
    this.loadedConfig = shared ? ctx.candidate() : null;
    this.loadedBase = shared?.base ?? 0;
    this.record =
      !shared ? {} : shared.edits ?? reconcileRecord({}, shared.config, this.revision(shared.base) ?? ctx.backend.running(), UNKNOWN_EDITOR);
    this.noticeLost(ctx);
  }

  /** Tells this session when changes it had made left the candidate by another session's doing. */
  private noticeLost(ctx: ModeContext): void {
    const now = new Set(this.ownItems());
    const lost = this.mine.filter((k) => !now.has(k));
    const revision = ctx.backend.runningRevision();
    if (lost.length)
      ctx.notify(
        revision !== this.seenRevision
          ? `% Your uncommitted changes to ${lost.join(', ')} are no longer in the shared candidate: another session committed (revision ${revision}, "show commit list") or took them out.`
          : `% Your uncommitted changes to ${lost.join(', ')} were taken out of the shared candidate by another session.`,
      );
    this.mine = [...now];
    this.seenRevision = revision;
  }

  private read(): SharedCandidateFile | null {
    try {
      return JSON.parse(readFileSync(this.path(), 'utf8')) as SharedCandidateFile;
    } catch {
      return null;
    }
  }

  /** Writes the session's candidate back (only under the lock, only when the command changed it). */
  save(ctx: ModeContext): void {
    if (!this.lock) return;
    if (!ctx.hasCandidate()) {
      if (this.loadedConfig) this.drop();
      return;
    }
    const cand = ctx.candidate();
    if (cand === this.loadedConfig) return;
    const running = ctx.backend.running();
    // `update` moved the candidate onto a newer running revision: base values are re-read from it.
    if (this.loadedConfig && ctx.candidateBase() !== this.loadedBase) this.record = reconcileRecord(this.record, cand, running, this.editor, true);
    else this.record = recordChange(this.record, this.loadedConfig ?? running, cand, this.editor);
    this.write(ctx, cand);
  }

  private write(ctx: ModeContext, cand: Config): void {
    this.loadedConfig = cand;
    if (configsEqual(cand, ctx.backend.running())) return this.drop();
    const tmp = `${this.path()}.lbctl-tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    const file: SharedCandidateFile = { base: ctx.candidateBase(), config: cand, edits: this.record };
    writeNewFile(tmp, JSON.stringify(file) + '\n', 0o640);
    renameSync(tmp, this.path());
  }

  /**
   * Takes one session's latest changes out of the shared candidate (this session's by default) and writes the
   * file at once; the rest of the candidate stays as it is. Only during a command (under the lock).
   */
  revert(ctx: ModeContext, session: string = this.sessionId): Reverted {
    if (!this.lock) throw new Error('shared candidate: revert outside a command');
    if (!ctx.hasCandidate()) return { undone: [], kept: [] };
    const r = revertSession(ctx.candidate(), this.record, session);
    if (!r.undone.length) return { undone: [], kept: r.kept };
    this.record = r.record;
    ctx.setCandidate(r.config);
    this.write(ctx, r.config);
    return { undone: r.undone, kept: r.kept };
  }

  /** No shared candidate any more (committed, discarded, or equal to running). */
  drop(): void {
    this.record = {};
    try {
      unlinkSync(this.path());
    } catch {
      /* already gone */
    }
  }

  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    this.loadedConfig = null;
    if (lock) this.mine = ownItems(this.record, this.sessionId);
    this.record = {};
    if (lock) await lock.release().catch(() => {});
  }
}
