// The shared candidate: one file in the state directory for every `configure` (shared) session, read before each
// command and written after it under a lock, so two shared sessions edit the same candidate one command at a time.
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

export const SHARED_CANDIDATE_FILE = 'candidate-shared.json';

interface SharedCandidateFile {
  base: number;
  config: Config;
}

export class SharedCandidate {
  private lock: HeldLock | null = null;
  /** The shared candidate as loaded before this command (to see whether the command changed it). */
  private loadedConfig: Config | null = null;

  constructor(
    private readonly stateDir: string,
    private readonly sessionId: string,
  ) {}

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
    if (configsEqual(cand, ctx.backend.running())) return this.drop();
    const tmp = `${this.path()}.lbctl-tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    writeNewFile(tmp, JSON.stringify({ base: ctx.candidateBase(), config: cand }) + '\n', 0o640);
    renameSync(tmp, this.path());
  }

  /** No shared candidate any more (committed, discarded, or equal to running). */
  drop(): void {
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
    if (lock) await lock.release().catch(() => {});
  }
}
