// `lbctl show WHAT`: each WHAT is its own module so the owners of config and engine can grow them apart.
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';

const SUBJECTS: Record<string, () => Promise<{ default: CliCommand }>> = {
  config: () => import('./show-config.js'),
  ipvs: () => import('./show-ipvs.js'),
};

const show: CliCommand = {
  name: 'show',
  summary: 'show the configuration (show config) or the kernel IPVS table (show ipvs)',
  usage: [
    'usage: lbctl show config [--config DIR|FILE] [--format yaml|json]',
    '       lbctl show ipvs [--stats|--rate] [--json] [--lab]',
    '',
    'show config   the configuration as lbctl reads it, rendered canonically',
    "show ipvs     the kernel's IPVS table, as the shell's show ipvs: services, destinations, weights, connections;",
    '              --stats the 64-bit counters, --rate the rates',
  ].join('\n'),
  async run(argv, io) {
    const [what, ...rest] = argv;
    const load = what === undefined ? undefined : SUBJECTS[what];
    if (!load) throw new UserError(`show what? one of: ${Object.keys(SUBJECTS).join(', ')}`, 2);
    return (await load()).default.run(rest, io);
  },
};
export default show;
