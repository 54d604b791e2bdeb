import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';

// Placeholder until its issue lands: says so plainly instead of pretending.
const cmd: CliCommand = {
  name: 'show-config',
  summary: '(not built yet)',
  usage: 'Not built yet.',
  async run() {
    throw new UserError("'show-config' is not built yet", 2);
  },
};
export default cmd;
