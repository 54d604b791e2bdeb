// Opening a dataplane: the kernel's IPVS over netlink, or the in-memory one (optionally persisted beside a state
// directory, netlink/persisted-table.ts, so successive `lbctl --lab` commands see the same table).
import type { Dataplane } from './dataplane.js';
import { MemoryDataplane } from './memory.js';
import { PersistedTable } from './persisted-table.js';

export { DataplaneUnavailableError, DataplaneError, NO_IPVS_MESSAGE, NO_PERMISSION_MESSAGE } from './errors.js';
export { writeFileAtomic } from './write-atomic.js';

export type OpenDataplaneOptions =
  | { kind: 'netlink'; timeoutMs?: number }
  | { kind: 'memory'; persistPath?: string };

export async function openDataplane(opts: OpenDataplaneOptions): Promise<Dataplane> {
  if (opts.kind === 'memory') return openMemoryDataplane(opts.persistPath);
  // Loaded lazily: the memory dataplane (tests, --lab) never needs the native ffi binding.
  const { NetlinkDataplane } = await import('./ipvs.js');
  return NetlinkDataplane.open({ timeoutMs: opts.timeoutMs });
}

/** The table at `persistPath` (snapshot and journal), each change recorded there; without a path, an empty one. */
export async function openMemoryDataplane(persistPath?: string): Promise<MemoryDataplane> {
  if (!persistPath) return new MemoryDataplane();
  return PersistedTable.open(persistPath).table;
}
