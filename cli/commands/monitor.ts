// `lbctl monitor`: the shell's `monitor` without the shell (a top(1) for the balancer). On a terminal, the
// full-screen live view; piped or in a script, one snapshot and exit 0. Samples come from the engine port
// (the daemon's, or an in-process host: the same table), the daemon's health client and the port's VRRP picture.
import type { CliCommand } from '../command.js';
import { resolveContext, type Context } from '../../config/context.js';
import type { Config } from '../../config/model.js';
import { ensureLab, loadConfigOrReport, openContextDataplane, runningConfig } from '../lab.js';
import { connectEngine } from '../../engine/connect.js';
import { daemonHealth } from '../../engine/daemon/health-client.js';
import { describeInVoice } from '../../present/refusals.js';
import { buildRows, type MonitorSource } from '../../present/monitor/rows.js';
import { snapshotText } from '../../present/monitor/layout.js';
import { parseCommandArgs } from './validate.js';
import { hostname } from 'node:os';

const USAGE = `usage: lbctl monitor [--config DIR|FILE] [--state-dir DIR] [--lab]

A live view of the balancer, refreshed every second: every virtual service and its backends with connections,
packets and bytes per second (from the kernel's 64-bit counters), active and inactive connections, the health
verdict (from the daemon), configured/effective weight, and the VRRP state. The same view as the shell's
"monitor" command (docs/monitor.md).

Keys: s / S sort by the next / previous column, r reverse, / filter (Enter applies, Esc clears), t totals or
rates, Up/Down/PgUp/PgDn/Home/End scroll, q or Ctrl-C quit (the terminal is restored as it was).

Without a terminal (a pipe, a script) it prints one snapshot, every counter in full, and exits 0.

Options:
  --config DIR|FILE   configuration, when the state directory holds no revision (default /etc/lbctl)
  --state-dir DIR     revision store and runtime state (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               the lab's in-memory IPVS (~/.lbctl-lab)
`;

const monitor: CliCommand = {
  name: 'monitor',
  summary: 'live view of services and backends: rates, health, weights, VRRP (one snapshot when piped)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('monitor', argv, {}, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    if (note) io.stderr(note + '\n');
    const config = await runningConfig(ctx) ?? loadConfigOrReport(ctx, io);
    if (!config) return 1;
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx) });
    try {
      const source: MonitorSource = {
        async sample() {
          const [entries, health, ha] = await Promise.all([
            host.table(),
            daemonHealth(ctx.stateDir).catch(() => null),
            host.ha().catch(() => null),
          ]);
          return { atMs: performance.now(), entries, config, health, ha };
        },
      };
      const first = await source.sample();
      const node = config.node?.name || hostname().split('.')[0] || 'lbctl';
      if (!io.isTTY) {
        io.stdout(snapshotText(node, first, buildRows(first, null)) + '\n');
        return 0;
      }
      const { runMonitor } = await import('../../shell/monitor/run.js');
      return await runMonitor({ source, first, node });
    } finally {
      await host.close();
    }
  },
};

export default monitor;
