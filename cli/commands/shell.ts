import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';

// Placeholder until its issue lands: says so plainly instead of pretending.
const cmd: CliCommand = {
  name: 'shell',
  summary: '(not built yet)',
  usage: 'usage: lbctl shell\n\nNot built yet.',
  async run() {
    throw new UserError("'shell' is not built yet", 2);
  },
};
export default cmd;
