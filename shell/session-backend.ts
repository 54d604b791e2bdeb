// Hosts for the session's ShellBackend. With no daemon attached (all of issue 5), the engine's view lives in
// this process: the running configuration from the revision store (or the files when the store cannot be
// opened, e.g. a non-root user on /var/lib/lbctl), and the dataplane: the lab's persisted in-memory IPVS under
// --lab, else the kernel, opened on first use so a shell starts even where IPVS is missing.
import { hostname } from 'node:os';
import type { Config } from '../config/model.js';
import { defaultConfig } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import { openStore, type Store } from '../config/store.js';
import type { Dataplane } from '../netlink/dataplane.js';
import { MemoryDataplane } from '../netlink/memory.js';
import { lbctlVersion } from '../cli/version.js';
import type { Context } from '../cli/context.js';
import { ensureLab, openContextDataplane } from '../cli/lab.js';
import type { ShellBackend } from '../modes/backend.js';

export type { ShellBackend } from '../modes/backend.js';

/** A fixed configuration and an in-memory table: unit tests, benchmarks, and anything without a store. */
export function createStaticBackend(opts: {
  config?: Config;
  revision?: number;
  dataplane?: Dataplane;
  hostname?: string;
  role?: 'master' | 'backup' | null;
  daemonAttached?: boolean;
}): ShellBackend & { setRunning(config: Config, revision?: number): void } {
  let running = opts.config ?? defaultConfig();
  let revision = opts.revision ?? 0;
  const dp = opts.dataplane ?? new MemoryDataplane();
  return {
    running: () => running,
    runningRevision: () => revision,
    dataplane: () => dp,
    version: safeVersion(),
    daemonAttached: opts.daemonAttached ?? false,
    role: () => opts.role ?? null,
    systemHostname: () => opts.hostname ?? 'lbctl',
    setRunning(config, rev) {
      running = config;
      if (rev !== undefined) revision = rev;
    },
    close: async () => {
      await dp.close();
    },
  };
}

/** The backend for `lbctl shell` in this context (lab or system paths). */
export async function createContextBackend(ctx: Context, _env: NodeJS.ProcessEnv = process.env): Promise<ShellBackend> {
  if (ctx.lab) await ensureLab(ctx);
  let store: Store | null = null;
  let running: Config = defaultConfig();
  let revision = 0;
  try {
    store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath });
    const r = store.running();
    running = r.config;
    revision = r.number;
  } catch {
    // No store (permissions, first use without a state dir): read the files, revision unknown (0).
    store = null;
    try {
      const loaded = loadConfig(ctx.configPath);
      if (loaded.config) running = loaded.config;
    } catch {
      /* no configuration at all: the defaults */
    }
  }
  let dp: Dataplane | null = null;
  let opening: Promise<Dataplane> | null = null;
  const open = () => (opening ??= openContextDataplane(ctx).then((d) => (dp = d)));
  const lazy = lazyDataplane(open, ctx.lab ? 'memory' : 'netlink');
  return {
    running: () => running,
    runningRevision: () => revision,
    dataplane: () => dp ?? lazy,
    version: safeVersion(),
    daemonAttached: false,
    role: () => null,
    systemHostname: () => hostname().split('.')[0] || 'lbctl',
    refresh() {
      if (!store) return;
      try {
        const r = store.running();
        if (r.number !== revision) {
          running = r.config;
          revision = r.number;
        }
      } catch {
        /* keep what we have */
      }
    },
    close: async () => {
      if (dp) await dp.close();
    },
  };
}

/** A dataplane that opens the real one on first use; failures surface as the call's error. */
function lazyDataplane(open: () => Promise<Dataplane>, kind: 'netlink' | 'memory'): Dataplane {
  const call =
    <K extends keyof Dataplane>(k: K) =>
    async (...args: unknown[]) => {
      const d = await open();
      return (d[k] as (...a: unknown[]) => unknown)(...args);
    };
  return {
    kind,
    info: call('info') as Dataplane['info'],
    listServices: call('listServices') as Dataplane['listServices'],
    getService: call('getService') as Dataplane['getService'],
    listDests: call('listDests') as Dataplane['listDests'],
    readAll: call('readAll') as Dataplane['readAll'],
    apply: call('apply') as Dataplane['apply'],
    getTimeouts: call('getTimeouts') as Dataplane['getTimeouts'],
    setTimeouts: call('setTimeouts') as Dataplane['setTimeouts'],
    zero: call('zero') as Dataplane['zero'],
    flush: call('flush') as Dataplane['flush'],
    messagesSent: () => 0,
    close: async () => {},
  };
}

function safeVersion(): string {
  try {
    return lbctlVersion();
  } catch {
    return 'unknown';
  }
}
export { createContextBackend as createLabBackend };
