// The running revision's number and node name as a plain reader sees them on disk, without opening the store:
// no lock, no recovery, none of the store's modules. For the shell's first prompt, painted before the session has
// loaded (shell/first-screen.ts). It answers only when the disk leaves no doubt: with a commit in flight or
// interrupted (intent.json) or a confirmation pending (confirm.json, which may expire at the open), or anything it
// cannot read, it answers null, and the caller waits for the store's own answer. A revision stored as a
// difference (format 2, store/revision-format.ts) names the node when its change did; otherwise its checkpoint,
// listed or hidden (NNNNNNNNNN.base.json), does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningPeek {
  number: number;
  /** `node.name` of the running configuration (undefined: none set). */
  nodeName: string | undefined;
}

/** Revision file names: ten digits and `.json`. */
const REVISION_FILE = /^\d{10}\.json$/;

interface OnDisk {
  number?: unknown;
  format?: unknown;
  base?: unknown;
  config?: { node?: { name?: unknown } };
  delta?: { set?: { node?: { name?: unknown } }; unset?: unknown };
}

const nameOf = (node: { name?: unknown } | undefined): string | undefined => (typeof node?.name === 'string' ? node.name : undefined);

export function peekRunning(stateDir: string): RunningPeek | null {
  try {
    if (existsSync(join(stateDir, 'intent.json')) || existsSync(join(stateDir, 'confirm.json'))) return null;
    const dir = join(stateDir, 'revisions');
    const newest = readdirSync(dir)
      .filter((n) => REVISION_FILE.test(n))
      .sort()
      .pop();
    if (!newest) return null;
    const number = Number(newest.slice(0, 10));
    const rev = JSON.parse(readFileSync(join(dir, newest), 'utf8')) as OnDisk;
    if (rev.number !== number) return null;
    if (rev.format === undefined) return typeof rev.config === 'object' && rev.config !== null ? { number, nodeName: nameOf(rev.config.node) } : null;
    if (rev.format !== 2 || typeof rev.base !== 'number' || !rev.delta) return null;
    if (rev.delta.set && 'node' in rev.delta.set) return { number, nodeName: nameOf(rev.delta.set.node) };
    if (Array.isArray(rev.delta.unset) && rev.delta.unset.includes('node')) return { number, nodeName: undefined };
    const base = wholeRevision(dir, rev.base);
    return base ? { number, nodeName: nameOf(base.config?.node) } : null;
  } catch {
    return null;
  }
}

/** Checkpoint `n`, listed or hidden; null unless it is a whole revision with that number. */
function wholeRevision(dir: string, n: number): OnDisk | null {
  const stem = String(n).padStart(10, '0');
  for (const name of [`${stem}.json`, `${stem}.base.json`]) {
    if (!existsSync(join(dir, name))) continue;
    const rev = JSON.parse(readFileSync(join(dir, name), 'utf8')) as OnDisk;
    return rev.number === n && rev.format === undefined && typeof rev.config === 'object' ? rev : null;
  }
  return null;
}
