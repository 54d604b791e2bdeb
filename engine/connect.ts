// Which engine a command talks to: the daemon of its state directory when one answers on the control socket,
// else an engine host in this process (as before the daemon existed). Both are an EnginePort, so the caller
// cannot tell them apart except by asking (`mode`, `hello`).
import type { Store } from '../store/store.js';
import type { Dataplane } from '../netlink/dataplane.js';
import { DaemonPort } from './daemon/port.js';
import { openHostDataplane } from './host-dataplane.js';
import { EngineHost, type DescribeRefusal, type EnginePort } from './host.js';

export interface ConnectOptions {
  stateDir: string;
  lab: boolean;
  /** The revision store for an in-process host (null: read-only). Not used when a daemon answers. */
  store: Store | null;
  describe: DescribeRefusal;
  /** The in-process host's dataplane (default: the lab table or the kernel). Tests inject faults. */
  openDataplane?: () => Promise<Dataplane>;
  /** Ask the daemon first (default true). */
  daemon?: boolean;
  /** How long a silent socket may take to answer `hello` before we run in-process. */
  daemonTimeoutMs?: number;
}

export async function connectEngine(opts: ConnectOptions): Promise<EnginePort> {
  if (opts.daemon !== false) {
    const port = await DaemonPort.connect(opts.stateDir, opts.daemonTimeoutMs ?? 2000);
    if (port) return port;
  }
  return inProcessHost(opts);
}

export function inProcessHost(opts: Omit<ConnectOptions, 'daemon' | 'daemonTimeoutMs'>): EngineHost {
  return new EngineHost({
    mode: 'in-process',
    stateDir: opts.stateDir,
    lab: opts.lab,
    store: opts.store,
    describe: opts.describe,
    openDataplane: opts.openDataplane ?? (() => openHostDataplane(opts)),
    // Other lbctl processes and hand edits may change the table while this one lives: read before planning.
    readBeforeCommit: true,
  });
}
