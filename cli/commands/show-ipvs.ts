// `lbctl show ipvs [--stats|--rate] [--json]`: the kernel's IPVS table as it is (one read), in the shell's
// `show ipvs` layout (present/ipvs.ts). Services are named from the running configuration; a service it does not
// declare is `(lbctl)` when lbctl's ownership record holds it, else `(not ours)`. Rendered by present/views.ts
// (`ipvsView`) where the data is: in the daemon when one answers, else here, and written as it comes.
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab } from '../../config/lab.js';
import { parseCommandArgs } from './validate.js';
import type { IpvsView } from '../../present/ipvs.js';
import { daemonViews, printView } from '../view-output.js';

const USAGE = `usage: lbctl show ipvs [--stats|--rate] [--json] [--state-dir DIR] [--lab]

The kernel's IPVS table, read once, laid out as the shell's 'show ipvs': every virtual service with the name
the running configuration gives it, its scheduler, flags and persistence, and every destination with its
forwarding method, weight and active/inactive connections. A service the configuration does not declare is
'(lbctl)' when lbctl's ownership record holds it, else '(not ours)'. On a terminal the table fits its width;
piped, every value is printed whole.

Options:
  --stats           the 64-bit counters instead: connections, packets and bytes in and out
  --rate            the kernel's rate estimates instead: connections, packets and bytes per second
  --json            every service and destination as JSON, kernel numbers by name (counters as decimal strings)
  --state-dir DIR   where lbctl's running configuration and ownership record are (default /var/lib/lbctl)
  --lab             the lab's in-memory IPVS (~/.lbctl-lab)
`;

const showIpvs: CliCommand = {
  name: 'show ipvs',
  summary: "the kernel's IPVS table: services, destinations, weights, connections, 64-bit counters",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('show ipvs', argv, { json: { type: 'boolean' }, stats: { type: 'boolean' }, rate: { type: 'boolean' } }, 0);
    if (values.stats && values.rate) throw new UserError("show ipvs: '--rate' cannot go with '--stats' (one set of columns at a time). Run 'lbctl help show' for the options.", 2);
    const view: IpvsView = values.stats ? 'stats' : values.rate ? 'rate' : 'basic';
    const ctx = resolveContext(values, io.env);
    await ensureLab(ctx);
    // A terminal gets a table that fits it; a pipe gets every value whole (width 0: no limit).
    const width = process.stdout.isTTY ? process.stdout.columns || 80 : 0;
    const params = { view, width, json: values.json === true };
    // The daemon judges against the running configuration it keeps, and renders; only its text comes here.
    const daemon = await daemonViews(ctx.stateDir);
    try {
      if (await daemon?.print(io, 'show ipvs', params)) return 0;
    } finally {
      daemon?.close();
    }
    const [{ connectEngine }, { openContextDataplane, runningConfig }, { describeInVoice }] = await Promise.all([
      import('../../engine/connect.js'),
      import('../lab.js'),
      import('../../present/refusals.js'),
    ]);
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx), daemon: daemon !== null });
    try {
      // Without a daemon, this process reads the running configuration and judges against it.
      await printView(io, host, 'show ipvs', params, async () => ({ running: await runningConfig(ctx) }));
      return 0;
    } finally {
      await host.close();
    }
  },
};

export default showIpvs;
