import type { CliCommand } from '../command.js';
import { lbctlVersion } from '../../engine/version.js';

const version: CliCommand = {
  name: 'version',
  summary: 'print the lbctl and Node.js versions',
  usage: 'usage: lbctl version\n\nPrints the lbctl version and the Node.js runtime it runs on.',
  async run(_argv, io) {
    io.stdout(`lbctl ${lbctlVersion()} (node ${process.version})\n`);
    return 0;
  },
};
export default version;
