// STATE/drains.json: the maintenance drains in force, so that a drain survives a restart of the daemon or of the
// machine (the engine of every host of the state directory programs them). Written whole with the store's
// crash-safe atomic write: a crash leaves the old file or the new one, never half of one.
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../../store/atomic.js';
import type { DrainRecord } from './decide.js';

export const DRAINS_FILE = 'drains.json';

interface DrainsJson {
  format: 'lbctl-drains';
  version: 1;
  drains: DrainRecord[];
}

export function drainsPath(stateDir: string): string {
  return join(stateDir, DRAINS_FILE);
}

/** The drains recorded in `stateDir` (none when the file does not exist). Throws, in words, on a file it cannot read. */
export function readDrains(stateDir: string): DrainRecord[] {
  const text = readIfExists(drainsPath(stateDir));
  if (text === null) return [];
  let json: DrainsJson;
  try {
    json = JSON.parse(text) as DrainsJson;
  } catch (e) {
    throw new Error(`${drainsPath(stateDir)} is not JSON (${(e as Error).message})`);
  }
  if (json?.format !== 'lbctl-drains' || json.version !== 1 || !Array.isArray(json.drains))
    throw new Error(`${drainsPath(stateDir)} is not an lbctl drains file (expected format "lbctl-drains", version 1)`);
  return json.drains.filter((d) => typeof d?.service === 'string' && typeof d.address === 'string' && typeof d.port === 'number');
}

export function writeDrains(stateDir: string, drains: readonly DrainRecord[]): void {
  const json: DrainsJson = { format: 'lbctl-drains', version: 1, drains: [...drains] };
  writeFileAtomic(drainsPath(stateDir), JSON.stringify(json, null, 2) + '\n', 0o640);
}
