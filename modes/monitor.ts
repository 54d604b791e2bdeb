// `monitor`: the live view of services and backends (rates, health, weights, VRRP). The command reads the
// system once and returns that read twice: as the one-snapshot text a script or a pipe prints, and as a feed
// the terminal face turns into the full-screen view refreshed every second (shell/monitor/).
import type { ShellBackend } from './backend.js';
import type { CommandDef } from './types.js';
import { CommandError } from './types.js';
import { nodeName } from './exec.js';
import { buildRows, type MonitorSource } from '../present/monitor/rows.js';
import { snapshotText } from '../present/monitor/layout.js';

export const MONITOR_HELP: Record<string, string> = {
  monitor: 'Live view of services and backends: rates, health, weights, VRRP (q to quit)',
};

/** Samples from the shell's backend: the table read now, the running configuration, health, VRRP. */
export function backendSource(backend: ShellBackend): MonitorSource {
  return {
    async sample() {
      backend.refresh?.();
      // Health and VRRP are extras: without a daemon (or with one that does not answer) the view still shows
      // the table, and says what it does not know.
      const [entries, health, ha] = await Promise.all([
        backend.table(),
        (backend.health?.() ?? Promise.resolve(null)).catch(() => null),
        (backend.ha?.() ?? Promise.resolve(null)).catch(() => null),
      ]);
      return { atMs: performance.now(), entries, config: backend.running(), health, ha };
    },
  };
}

export const MONITOR_COMMANDS: CommandDef[] = [
  {
    decl: 'monitor',
    help: MONITOR_HELP,
    run: async (_a, ctx) => {
      const source = backendSource(ctx.backend);
      let first;
      try {
        first = await source.sample();
      } catch (e) {
        throw new CommandError(`% The IPVS table cannot be read: ${(e as Error).message.split('\n')[0]}`);
      }
      const node = nodeName(ctx);
      return { text: snapshotText(node, first, buildRows(first, null)), monitor: { source, first, node } };
    },
  },
];
