// STATE/drains.json: the maintenance drains in force, so that a drain survives a restart of the daemon or of the
// machine (the engine of every host of the state directory programs them). Written whole with the store's
// crash-safe atomic write: a crash leaves the old file or the new one, never half of one.
//
// The file and the audit trail change together: a request writes the drains with a note of the audit line it
// owes (`unaudited`), then tells the kernel, appends the line (carrying the note's id), and writes the drains
// again without the note. A process killed in between leaves the note; the next host that moves drains finishes
// it (engine/drain/drains.ts): the kernel gets the drains on file and the line is written once, unless the trail
// already has a line with that id (killed after the append). Nothing done is left unaudited, nothing twice.
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../../store/atomic.js';
import type { DrainRecord } from './decide.js';

export const DRAINS_FILE = 'drains.json';

/** An audit line a request owes: written before the kernel is told, removed once the line is in the trail. */
export interface UnauditedDrain {
  /** Unique; the audit line carries it (`drain.id`), so a line already written is never written again. */
  id: string;
  user: string;
  uid?: number;
  sudoUser?: string;
  session?: string;
  /** `drain`, `resume` or `drained`. */
  verb: string;
  /** The backends (`web/198.51.100.11:80`). */
  refs: string[];
  /** Where they went (`draining`, `resumed`, `drained (timeout), removed`). */
  to: string;
}

export interface DrainFileContents {
  drains: DrainRecord[];
  unaudited: UnauditedDrain[];
}

interface DrainsJson {
  format: 'lbctl-drains';
  version: 1;
  drains: DrainRecord[];
  unaudited?: UnauditedDrain[];
}

export function drainsPath(stateDir: string): string {
  return join(stateDir, DRAINS_FILE);
}

/** The drains recorded in `stateDir` (none when the file does not exist). Throws, in words, on a file it cannot read. */
export function readDrains(stateDir: string): DrainFileContents {
  const text = readIfExists(drainsPath(stateDir));
  if (text === null) return { drains: [], unaudited: [] };
  let json: DrainsJson;
  try {
    json = JSON.parse(text) as DrainsJson;
  } catch (e) {
    throw new Error(`${drainsPath(stateDir)} is not JSON (${(e as Error).message})`);
  }
  if (json?.format !== 'lbctl-drains' || json.version !== 1 || !Array.isArray(json.drains))
    throw new Error(`${drainsPath(stateDir)} is not an lbctl drains file (expected format "lbctl-drains", version 1)`);
  const drains = json.drains.filter((d) => typeof d?.service === 'string' && typeof d.address === 'string' && typeof d.port === 'number');
  const unaudited = (Array.isArray(json.unaudited) ? json.unaudited : []).filter((u) => typeof u?.id === 'string' && Array.isArray(u.refs));
  return { drains, unaudited };
}

export function writeDrains(stateDir: string, drains: readonly DrainRecord[], unaudited: readonly UnauditedDrain[] = []): void {
  const json: DrainsJson = { format: 'lbctl-drains', version: 1, drains: [...drains], ...(unaudited.length ? { unaudited: [...unaudited] } : {}) };
  writeFileAtomic(drainsPath(stateDir), JSON.stringify(json, null, 2) + '\n', 0o640);
}
