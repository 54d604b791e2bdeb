// The running revision's number and configuration as a plain reader sees them on disk, without opening the store:
// no lock, no recovery, none of the store's modules. For the shell's first prompt, painted before the session has
// loaded (shell/first-screen.ts). It answers only when the disk leaves no doubt: with a commit in flight or
// interrupted (intent.json) or a confirmation pending (confirm.json, which may expire at the open), or anything it
// cannot read, it answers null, and the caller waits for the store's own answer.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/model.js';

export interface RunningPeek {
  number: number;
  config: Partial<Config>;
}

/** Revision file names: ten digits and `.json`. */
export const REVISION_FILE = /^\d{10}\.json$/;

export function peekRunning(stateDir: string): RunningPeek | null {
  try {
    if (existsSync(join(stateDir, 'intent.json')) || existsSync(join(stateDir, 'confirm.json'))) return null;
    const dir = join(stateDir, 'revisions');
    const newest = readdirSync(dir)
      .filter((n) => REVISION_FILE.test(n))
      .sort()
      .pop();
    if (!newest) return null;
    const rev = JSON.parse(readFileSync(join(dir, newest), 'utf8')) as { number?: unknown; config?: unknown };
    if (rev.number !== Number(newest.slice(0, 10)) || typeof rev.config !== 'object' || rev.config === null) return null;
    return { number: rev.number as number, config: rev.config as Partial<Config> };
  } catch {
    return null;
  }
}
