// The dataplane a host of this state directory programs: the lab's in-memory IPVS persisted beside the store
// (so successive lbctl commands, and the daemon, see one table), or the kernel's IPVS over netlink. The one
// place that knows the lab table's file name.
import { fileIdentity } from './file-identity.js';
import { join } from 'node:path';
import type { Dataplane } from '../netlink/dataplane.js';
import { MemoryDataplane } from '../netlink/memory.js';
import { DataplaneUnavailableError, openDataplane, openMemoryDataplane } from '../netlink/open.js';

/** The lab's IPVS table, inside its state directory. */
export const LAB_TABLE_FILE = 'lab-ipvs.json';

export function labTablePath(stateDir: string): string {
  return join(stateDir, LAB_TABLE_FILE);
}

/** An empty in-memory IPVS table (unit tests, benchmarks, a shell backend without a store). */
export function emptyMemoryDataplane(): Dataplane {
  return new MemoryDataplane();
}

/** A dataplane that cannot be opened, with the operator's sentence as the message. */
export class HostDataplaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostDataplaneError';
  }
}

export async function openHostDataplane(where: { stateDir: string; lab: boolean }): Promise<Dataplane> {
  if (where.lab) {
    try {
      return await LabTable.open(labTablePath(where.stateDir));
    } catch (e) {
      throw new HostDataplaneError(`lab table: ${(e as Error).message}`);
    }
  }
  try {
    return await openDataplane({ kind: 'netlink' });
  } catch (e) {
    if (e instanceof DataplaneUnavailableError) throw new HostDataplaneError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND')
      throw new HostDataplaneError('the kernel dataplane (netlink/ipvs) is not part of this build; use --lab for the in-memory dataplane');
    throw e;
  }
}

/**
 * The lab's table as the kernel's would be: shared by every process of the state directory. Before each call it
 * re-loads the file if another process wrote it since (a second shell's commit, the daemon, or a hand edit of
 * the JSON, which is the lab's `ipvsadm`), so a long-lived host never plans against a table that is gone.
 */
class LabTable implements Dataplane {
  readonly kind = 'memory' as const;
  private signature: string | null = null;
  private sent = 0;
  /** The file was looked at in this turn of the event loop. */
  private fresh = false;

  private constructor(
    private readonly path: string,
    private inner: Dataplane,
  ) {}

  static async open(path: string): Promise<LabTable> {
    const t = new LabTable(path, await openMemoryDataplane(path));
    t.signature = fileIdentity(path);
    return t;
  }

  private async follow(): Promise<Dataplane> {
    // Looked at once per turn of the event loop: a whole read (a service list, then one destination list per
    // service, 10,000 calls at scale) between two turns sees one table, as it did before with 10,000 stats.
    if (this.fresh) return this.inner;
    const now = fileIdentity(this.path);
    if (now !== this.signature) {
      this.sent += this.inner.messagesSent();
      this.inner = await openMemoryDataplane(this.path);
      this.signature = now;
    }
    // Until the next turn: the calls that follow this one in the same turn (a whole read) need no stat.
    this.fresh = true;
    setImmediate(() => (this.fresh = false)).unref();
    return this.inner;
  }

  private async write<T>(fn: (d: Dataplane) => Promise<T>): Promise<T> {
    this.fresh = false;
    const r = await fn(await this.follow());
    this.signature = fileIdentity(this.path);
    return r;
  }

  info = async () => (await this.follow()).info();
  listServices = async () => (await this.follow()).listServices();
  getService: Dataplane['getService'] = async (key) => (await this.follow()).getService(key);
  listDests: Dataplane['listDests'] = async (key) => (await this.follow()).listDests(key);
  readAll = async () => (await this.follow()).readAll();
  getTimeouts = async () => (await this.follow()).getTimeouts();
  apply: Dataplane['apply'] = (ops) => this.write((d) => d.apply(ops));
  setTimeouts: Dataplane['setTimeouts'] = (t) => this.write((d) => d.setTimeouts(t));
  zero: Dataplane['zero'] = (key) => this.write((d) => d.zero(key));
  flush = () => this.write((d) => d.flush());
  messagesSent = () => this.sent + this.inner.messagesSent();
  close = () => this.inner.close();
}

