// Command history persisted per user (~/.lbctl_history by default), bounded. Each accepted line is appended
// at once, so a dropped SSH session loses nothing and two sessions of one user both keep their lines; the
// file is trimmed back to the bound when it is loaded.
import { appendFileSync, chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HISTORY_LIMIT = 1000;

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LBCTL_HISTORY) return env.LBCTL_HISTORY;
  return join(env.HOME || homedir(), '.lbctl_history');
}

export class HistoryFile {
  constructor(
    readonly path: string,
    readonly limit = DEFAULT_HISTORY_LIMIT,
  ) {}

  /** The stored lines, oldest first, at most `limit`. An unreadable file gives an empty history. */
  load(): string[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length <= this.limit) return lines;
    const kept = lines.slice(lines.length - this.limit);
    this.rewrite(kept);
    return kept;
  }

  /** Appends one line; errors (read-only home …) are swallowed: history must never break the shell. */
  append(line: string): void {
    if (line.trim() === '' || line.includes('\n')) return;
    try {
      const fresh = !existsSync(this.path);
      appendFileSync(this.path, line + '\n', { mode: 0o600 });
      if (fresh) chmodSync(this.path, 0o600);
    } catch {
      // ignored on purpose
    }
  }

  private rewrite(lines: string[]): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, lines.join('\n') + '\n', { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch {
      // ignored on purpose
    }
  }
}
