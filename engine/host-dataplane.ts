// The dataplane a host of this state directory programs: the lab's in-memory IPVS persisted beside the store
// (so successive lbctl commands, and the daemon, see one table), or the kernel's IPVS over netlink. The one
// place that knows the lab table's file name.
import { join } from 'node:path';
import type { Dataplane } from '../netlink/dataplane.js';
import { MemoryDataplane } from '../netlink/memory.js';
import { DataplaneUnavailableError, openDataplane } from '../netlink/open.js';
import { PersistedTable } from '../netlink/persisted-table.js';

/** The lab's IPVS table (its snapshot; the journal of changes since is lab-ipvs.journal beside it), inside its state directory. */
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
 * catches up with the files if another process changed them since (a second shell's commit, the daemon, or a
 * hand edit of the snapshot, which is the lab's `ipvsadm`), so a long-lived host never plans against a table
 * that is gone: the new journal lines only when the journal grew, the whole table when the snapshot changed.
 */
class LabTable implements Dataplane {
  readonly kind = 'memory' as const;
  private sent = 0;
  /** The files were looked at in this turn of the event loop. */
  private fresh = false;
  private inner: MemoryDataplane;

  private constructor(private readonly files: PersistedTable) {
    this.inner = files.table;
  }

  static async open(path: string): Promise<LabTable> {
    return new LabTable(PersistedTable.open(path));
  }

  private follow(): Dataplane {
    // Looked at once per turn of the event loop: a whole read (a service list, then one destination list per
    // service, 10,000 calls at scale) between two turns sees one table, as it did before with 10,000 stats.
    if (this.fresh) return this.inner;
    if (this.files.catchUp()) {
      this.sent += this.inner.messagesSent();
      this.inner = this.files.table;
    }
    // Until the next turn: the calls that follow this one in the same turn (a whole read) need no stat.
    this.fresh = true;
    setImmediate(() => (this.fresh = false)).unref();
    return this.inner;
  }

  private async write<T>(fn: (d: Dataplane) => Promise<T>): Promise<T> {
    // Caught up just before: the change lands on the table the files hold, and is appended after their last line.
    this.fresh = false;
    return fn(this.follow());
  }

  info = async () => this.follow().info();
  listServices: Dataplane['listServices'] = async (opts) => this.follow().listServices(opts);
  getService: Dataplane['getService'] = async (key) => this.follow().getService(key);
  listDests: Dataplane['listDests'] = async (key, opts) => this.follow().listDests(key, opts);
  readAll: Dataplane['readAll'] = async (opts) => this.follow().readAll(opts);
  getTimeouts = async () => this.follow().getTimeouts();
  apply: Dataplane['apply'] = (ops) => this.write((d) => d.apply(ops));
  setTimeouts: Dataplane['setTimeouts'] = (t) => this.write((d) => d.setTimeouts(t));
  zero: Dataplane['zero'] = (key) => this.write((d) => d.zero(key));
  flush = () => this.write((d) => d.flush());
  messagesSent = () => this.sent + this.inner.messagesSent();
  close = () => this.inner.close();
}
