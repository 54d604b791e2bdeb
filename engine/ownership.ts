// The record of which IPVS services lbctl put in the kernel, kept in the state directory. With the services
// the configuration declares, it is what lbctl owns: a service removed from the configuration is still known
// to be lbctl's (so it is deleted), while Docker's, kube-proxy's or a human's services are never touched.
//
// Write-ahead: before an apply creates services, their ids are added to the record (intent); after the apply
// the record is rewritten to what lbctl then has in the kernel. A crash in between leaves the record a superset,
// never a subset, so nothing lbctl created can become "foreign" and linger forever.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../netlink/open.js';
import type { ServiceKey } from '../netlink/dataplane.js';

export const OWNERSHIP_FILE = 'ipvs-owned.json';

interface OwnershipJSON {
  format: 'lbctl-ipvs-ownership';
  version: 1;
  services: Array<{ id: string; key: ServiceKey }>;
}

export class OwnershipRecord {
  private entryMap = new Map<string, ServiceKey>();
  /** ids() as last handed out; dropped at each change (a holder keeps the snapshot it got, as with a copy). */
  private idsView: ReadonlySet<string> | null = null;

  /** `path` null = not persisted (tests that do not care, or a read-only status). */
  private constructor(private readonly path: string | null) {}

  static inMemory(): OwnershipRecord {
    return new OwnershipRecord(null);
  }

  static async load(stateDir: string): Promise<OwnershipRecord> {
    const path = join(stateDir, OWNERSHIP_FILE);
    const record = new OwnershipRecord(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return record;
      throw e;
    }
    let json: OwnershipJSON;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: not valid JSON (${(e as Error).message}); move it aside to let lbctl rebuild it`);
    }
    if (json?.format !== 'lbctl-ipvs-ownership' || !Array.isArray(json.services))
      throw new Error(`${path}: not an lbctl ownership record (expected format "lbctl-ipvs-ownership")`);
    for (const s of json.services) if (typeof s?.id === 'string') record.entryMap.set(s.id, s.key);
    return record;
  }

  /** The owned ids, a snapshot: one set per version of the record, not a copy per call (10,000 ids a commit). */
  ids(): ReadonlySet<string> {
    return (this.idsView ??= new Set(this.entryMap.keys()));
  }

  has(id: string): boolean {
    return this.entryMap.has(id);
  }

  get size(): number {
    return this.entryMap.size;
  }

  /** Add ids (intent before an apply); persists only when something is new. The ids that were new. */
  async add(services: Iterable<{ id: string; key: ServiceKey }>): Promise<string[]> {
    const added: string[] = [];
    for (const s of services)
      if (!this.entryMap.has(s.id)) {
        this.entryMap.set(s.id, s.key);
        added.push(s.id);
      }
    if (added.length > 0) {
      this.idsView = null;
      await this.save();
    }
    return added;
  }

  /** Take back ids `add` recorded (an apply rolled back: they were never realised); persists when any was there. */
  async withdraw(ids: Iterable<string>): Promise<void> {
    let changed = false;
    for (const id of ids) changed = this.entryMap.delete(id) || changed;
    if (changed) {
      this.idsView = null;
      await this.save();
    }
  }

  /** Replace the whole record (after an apply: what lbctl now has in the kernel). */
  async replace(services: Iterable<{ id: string; key: ServiceKey }>): Promise<void> {
    const next = new Map<string, ServiceKey>();
    for (const s of services) next.set(s.id, s.key);
    if (sameKeys(next, this.entryMap)) return;
    this.entryMap = next;
    this.idsView = null;
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.path) return;
    const json: OwnershipJSON = {
      format: 'lbctl-ipvs-ownership',
      version: 1,
      services: [...this.entryMap].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, key]) => ({ id, key })),
    };
    await writeFileAtomic(this.path, JSON.stringify(json, null, 1) + '\n');
  }
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}
