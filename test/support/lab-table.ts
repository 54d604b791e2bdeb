// The lab's IPVS table as every lbctl process sees it: the snapshot (STATE/lab-ipvs.json) with the journal of
// the changes since replayed (netlink/persisted-table.ts). The snapshot alone lacks every change since the last
// compaction, so a test that checks the table reads it through here; a test that edits it by hand (the lab's
// ipvsadm) reads it through here too, then writes the whole table into the snapshot, which then wins.
import { existsSync } from 'node:fs';
import type { MemoryDataplaneJSON } from '../../netlink/memory.js';
import { PersistedTable } from '../../netlink/persisted-table.js';

/** The table's JSON (the snapshot's format); `path` is the snapshot's. */
export function labTableJSON<T = MemoryDataplaneJSON>(path: string): T {
  return PersistedTable.open(path).table.toJSON() as T;
}

/** The table as the snapshot's JSON text, or '' when no table was ever written (no snapshot). */
export function labTableText(path: string): string {
  return existsSync(path) ? PersistedTable.open(path).table.toJSONText() : '';
}
