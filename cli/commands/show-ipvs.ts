// `lbctl show ipvs [--json]`: the kernel's IPVS table as it is (one read): services, destinations, weights,
// connection counts and the 64-bit counters. Services lbctl owns are marked; the rest are foreign.
import type { CliCommand } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab, openContextDataplane } from '../lab.js';
import { connectEngine } from '../../engine/connect.js';
import { describeInVoice } from '../../present/refusals.js';
import { parseCommandArgs } from './validate.js';
import { formatIpvs, ipvsJson } from '../../present/ipvs.js';

const USAGE = `usage: lbctl show ipvs [--json] [--state-dir DIR] [--lab]

The kernel's IPVS table, read once: every virtual service with its scheduler, flags and persistence, every
destination with its forwarding method, weight, thresholds and active/inactive/persistent connections, and the
64-bit traffic counters (conns, packets and bytes in/out). "owner" says whether lbctl created the service
(recorded in the state directory) or it is foreign.

Options:
  --json            the same data as JSON (counters as decimal strings: they exceed 2^53)
  --state-dir DIR   where lbctl's ownership record is (default /var/lib/lbctl)
  --lab             the lab's in-memory IPVS (~/.lbctl-lab)
`;

const showIpvs: CliCommand = {
  name: 'show ipvs',
  summary: "the kernel's IPVS table: services, destinations, weights, connections, 64-bit counters",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('show ipvs', argv, { json: { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    await ensureLab(ctx);
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx) });
    try {
      const info = await host.dataplaneInfo();
      const entries = await host.table();
      const owned = new Set(await host.owned().catch(() => []));
      if (values.json) io.stdout(ipvsJson(entries, owned, info));
      else io.stdout(formatIpvs(entries, owned, `IP Virtual Server version ${info.version} (size=${info.connTabSize})${info.kind === 'memory' ? ' [lab: in-memory]' : ''}`));
      return 0;
    } finally {
      await host.close();
    }
  },
};

export default showIpvs;
